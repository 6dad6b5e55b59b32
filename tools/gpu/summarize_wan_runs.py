"""Summarises `svgen generate --json` results of Wan runs (tools/gpu/run.sh wan-random):
stage times, step times, peak GPU memory per stage, and a 50-step clip time extrapolated from the
measured steps with the methods' default dense warm-up (the first 20% of steps).

Usage: python3 tools/gpu/summarize_wan_runs.py RUN.json...
"""
import json
import statistics
import sys

STEPS = 50
WARMUP = 0.2  # AttentionConfig::warmupFraction


def load(path):
    j = json.load(open(path))
    r = j["request"]
    steps = j["step_seconds"]
    warm = max(1, round(WARMUP * len(steps)))
    method = r["attention"]["method"] if isinstance(r.get("attention"), dict) else r.get("attention")
    return {
        "size": f'{j["width"]}x{j["height"]}', "frames": j["frames"], "method": method,
        "t": j["timings_seconds"], "peak": j.get("peak_gpu_memory_gib", {}), "steps": steps,
        # Steps after the first (which pays one-off set-up) stand for the dense ones; for the
        # sparse ones, the steps after the first sparse step (which runs k-means from scratch).
        "dense_step": statistics.median(steps[1:] or steps),
        "sparse_step": statistics.median(steps[warm + 1:] or steps[warm:] or steps),
        "density": j.get("sparse_attention_density", 1.0),
    }


def main(paths):
    runs = []
    for p in paths:
        try:
            runs.append(load(p))
        except (OSError, ValueError, KeyError) as e:  # a failed run leaves an empty file
            print(f"skipped {p}: {e}")
    dense = {r["size"]: r for r in runs if r["method"] == "dense"}
    print(f'{"size":>9} {"method":>6} {"encode":>7} {"decode":>7} {"steps (s)":<32} {"density":>7} '
          f'{"peak GiB enc/den/dec":>21} {"clip50 s":>8} {"speedup":>7}')
    for r in runs:
        d = dense.get(r["size"], r)
        warm = round(WARMUP * STEPS) if r["method"] != "dense" else STEPS
        clip = (r["t"]["encode"] + r["t"]["decode"] + warm * d["dense_step"]
                + (STEPS - warm) * r["sparse_step"])
        dclip = d["t"]["encode"] + d["t"]["decode"] + STEPS * d["dense_step"]
        steps = " ".join(f"{s:.2f}" for s in r["steps"])
        peak = "/".join(f'{r["peak"].get(k, float("nan")):.1f}' for k in ("encode", "denoise", "decode"))
        print(f'{r["size"]:>9} {r["method"]:>6} {r["t"]["encode"]:7.2f} {r["t"]["decode"]:7.2f} '
              f'{steps:<32} {r["density"]:7.3f} {peak:>21} {clip:8.1f} {dclip / clip:6.2f}x')


if __name__ == "__main__":
    main(sys.argv[1:])
