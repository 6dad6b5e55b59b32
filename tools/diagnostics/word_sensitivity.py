"""How much a model's output depends on each kind of prompt word (issue 4's diagnosis).

For a base prompt, swaps one word at a time (the object's colour, its shape, its direction) and
runs `svgen generate` with the same seed on both, saving the final latent (pixels for the
built-in model). Prints the mean absolute difference per swap, averaged over three seeds, and the
largest difference over them, for the x0 prediction from pure noise (1 Euler step) and for a full
sample (the model's default steps). A model that follows
its prompt changes its output about as much for a shape or direction word as for a colour word.

Usage: python3 tools/diagnostics/word_sensitivity.py MODEL [SVGEN]   (SVGEN: build/bin/svgen)
No third-party Python packages are needed.
"""
import array
import json
import os
import struct
import subprocess
import sys
import tempfile

BASE = "a red square moving right on a white background"
SEEDS = (3, 4, 5)
SWAPS = [("colour", "red", "blue"), ("shape", "square", "circle"), ("direction", "right", "left")]


def latent(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        meta = json.loads(f.read(n))["latent"]
        a, b = meta["data_offsets"]
        f.seek(8 + n + a)
        values = array.array("f")
        values.frombytes(f.read(b - a))
    return values


def run(svgen, model, prompt, steps, seed, out):
    cmd = [svgen, "generate", "--model", model, "-p", prompt, "--seed", str(seed), "-q",
           "--save-latents", out, "--out", out + ".y4m"]
    if steps:
        cmd += ["-s", str(steps), "--sampler", "euler"]
    subprocess.run(cmd, check=True)
    return latent(out)


def main(model, svgen):
    with tempfile.TemporaryDirectory() as tmp:
        for label, steps in (("x0 from pure noise (1 Euler step)", 1), ("full sample", 0)):
            print(label)
            means = {kind: [] for kind, _, _ in SWAPS}
            maxes = {kind: [] for kind, _, _ in SWAPS}
            for seed in SEEDS:
                base = run(svgen, model, BASE, steps, seed, os.path.join(tmp, "base.safetensors"))
                for kind, old, new in SWAPS:
                    other = run(svgen, model, BASE.replace(old, new), steps, seed,
                                os.path.join(tmp, kind + ".safetensors"))
                    d = [abs(u - v) for u, v in zip(base, other)]
                    means[kind].append(sum(d) / len(d))
                    maxes[kind].append(max(d))
            for kind, old, new in SWAPS:
                mean = sum(means[kind]) / len(SEEDS)
                print(f"  {kind:9s} {old} -> {new:7s} mean |diff| {mean:.4f}  max {max(maxes[kind]):.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "build/bin/svgen")
