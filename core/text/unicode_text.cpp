#include "core/text/unicode_text.h"

#include "core/common/error.h"

#ifdef SVGEN_HAVE_ICU
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>
#endif

namespace svgen {

namespace {

[[noreturn]] void noIcu() {
  throw InputError(
      "this build of svgen has no Unicode library (ICU), so it cannot tokenize for this model: "
      "install libicu-dev and rebuild");
}

}  // namespace

#ifdef SVGEN_HAVE_ICU

bool unicodeTextAvailable() {
  return true;
}

struct UnicodeSplitter::Impl {
  std::unique_ptr<icu::RegexPattern> pattern;

  // Calls `emit(start, end, isMatch)` for each match and each gap, in UTF-16 indices.
  template <typename Emit>
  void walk(const std::string& utf8, Emit emit) const {
    icu::UnicodeString text = icu::UnicodeString::fromUTF8(utf8);
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexMatcher> m(pattern->matcher(text, status));
    if (U_FAILURE(status))
      throw InputError(std::string("text split failed: ") + u_errorName(status));
    int32_t last = 0;
    while (m->find()) {
      const int32_t s = m->start(status), e = m->end(status);
      if (U_FAILURE(status))
        throw InputError(std::string("text split failed: ") + u_errorName(status));
      if (s > last) emit(text, last, s, false);
      if (e > s) emit(text, s, e, true);
      last = e;
    }
    if (last < text.length()) emit(text, last, text.length(), false);
  }
};

UnicodeSplitter::UnicodeSplitter(const std::string& pattern) : impl_(std::make_unique<Impl>()) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError where{};
  impl_->pattern.reset(
      icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(pattern), 0, where, status));
  if (U_FAILURE(status))
    throw InputError("the tokenizer's split pattern does not compile (" +
                     std::string(u_errorName(status)) + " at offset " +
                     std::to_string(where.offset) + "): " + pattern);
}

std::vector<std::string> UnicodeSplitter::isolate(const std::string& utf8) const {
  std::vector<std::string> out;
  impl_->walk(utf8, [&](const icu::UnicodeString& t, int32_t s, int32_t e, bool) {
    out.emplace_back();
    t.tempSubStringBetween(s, e).toUTF8String(out.back());
  });
  return out;
}

std::vector<std::string> UnicodeSplitter::matches(const std::string& utf8) const {
  std::vector<std::string> out;
  impl_->walk(utf8, [&](const icu::UnicodeString& t, int32_t s, int32_t e, bool match) {
    if (!match) return;
    out.emplace_back();
    t.tempSubStringBetween(s, e).toUTF8String(out.back());
  });
  return out;
}

std::string clipNormalise(const std::string& utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) throw InputError(std::string("NFC unavailable: ") + u_errorName(status));
  icu::UnicodeString text = nfc->normalize(icu::UnicodeString::fromUTF8(utf8), status);
  if (U_FAILURE(status)) throw InputError(std::string("NFC failed: ") + u_errorName(status));
  icu::RegexMatcher spaces(UNICODE_STRING_SIMPLE("\\s+"), text, 0, status);
  icu::UnicodeString lower = spaces.replaceAll(UNICODE_STRING_SIMPLE(" "), status);
  if (U_FAILURE(status))
    throw InputError(std::string("text clean-up failed: ") + u_errorName(status));
  lower.trim();
  lower.toLower(icu::Locale::getRoot());
  std::string out;
  lower.toUTF8String(out);
  return out;
}

#else

bool unicodeTextAvailable() {
  return false;
}
struct UnicodeSplitter::Impl {};
UnicodeSplitter::UnicodeSplitter(const std::string&) {
  noIcu();
}
std::vector<std::string> UnicodeSplitter::isolate(const std::string&) const {
  noIcu();
}
std::vector<std::string> UnicodeSplitter::matches(const std::string&) const {
  noIcu();
}
std::string clipNormalise(const std::string&) {
  noIcu();
}

#endif

UnicodeSplitter::~UnicodeSplitter() = default;
UnicodeSplitter::UnicodeSplitter(UnicodeSplitter&&) noexcept = default;
UnicodeSplitter& UnicodeSplitter::operator=(UnicodeSplitter&&) noexcept = default;

}  // namespace svgen
