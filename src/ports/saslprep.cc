#include "ports/saslprep.h"

#include <fmt/format.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <span>
#include <vector>

namespace quanta::ports {
namespace {

struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
};

#include "ports/saslprep_tables.inc"

bool InTable(std::span<const CodePointRange> table, char32_t code) {
  // The first range that ends at or after `code`; the tables are sorted and disjoint.
  auto at =
      std::lower_bound(table.begin(), table.end(), code,
                       [](const CodePointRange& range, char32_t c) { return range.last < c; });
  return at != table.end() && at->first <= code;
}

struct ProhibitedTable {
  std::span<const CodePointRange> ranges;
  std::string_view name;  // "C.2.1, ASCII control characters"
};

// What RFC 4013 section 2.3 prohibits, and A.1, which section 2.5 leaves out for stored
// strings but PostgreSQL prohibits as well. C.1.2 cannot be met after mapping; it stays for
// completeness.
constexpr ProhibitedTable kProhibited[] = {
    {kNonAsciiSpace, "C.1.2, non-ASCII space characters"},
    {kAsciiControl, "C.2.1, ASCII control characters"},
    {kNonAsciiControl, "C.2.2, non-ASCII control characters"},
    {kPrivateUse, "C.3, private use"},
    {kNonCharacter, "C.4, non-character code points"},
    {kSurrogate, "C.5, surrogate codes"},
    {kNotPlainText, "C.6, inappropriate for plain text"},
    {kNotCanonical, "C.7, inappropriate for canonical representation"},
    {kDisplayProperty, "C.8, change display properties or deprecated"},
    {kTagging, "C.9, tagging characters"},
    {kUnassigned, "A.1, unassigned in Unicode 3.2"},
};

// One character of the input, with its 1-based position there for error messages.
struct Character {
  char32_t code;
  std::size_t position;
};

Status Refused(std::string_view reason) { return Status::Invalid("SASLprep: {}", reason); }

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
Result<std::vector<Character>> DecodeUtf8(std::string_view text) {
  std::vector<Character> out;
  out.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(at);
    std::size_t length;
    char32_t code;
    char32_t minimum;
    if (lead < 0x80) {
      length = 1, code = lead, minimum = 0;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07, minimum = 0x10000;
    } else {
      return Refused(
          fmt::format("byte {} (0x{:02X}) does not start a UTF-8 character", at + 1, lead));
    }
    if (at + length > text.size()) {
      return Refused(fmt::format("the UTF-8 character at byte {} is cut short", at + 1));
    }
    for (std::size_t i = 1; i < length; ++i) {
      if ((byte(at + i) & 0xC0) != 0x80) {
        return Refused(
            fmt::format("byte {} (0x{:02X}) does not continue the UTF-8 character "
                        "at byte {}",
                        at + i + 1, byte(at + i), at + 1));
      }
      code = (code << 6) | (byte(at + i) & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return Refused(
          fmt::format("the bytes at {} are not a valid UTF-8 character (an overlong "
                      "form, a surrogate or beyond U+10FFFF)",
                      at + 1));
    }
    out.push_back({code, out.size() + 1});
    at += length;
  }
  return out;
}

// NFKC through ICU, which works on UTF-16.
Result<std::string> NormalizeNfkc(const std::vector<Character>& characters) {
  std::vector<UChar32> codes;
  codes.reserve(characters.size());
  for (const Character& c : characters) codes.push_back(static_cast<UChar32>(c.code));
  auto failed = [](std::string_view step, UErrorCode error) {
    return Status::Internal("SASLprep: ICU {} failed: {}", step, u_errorName(error));
  };

  UErrorCode error = U_ZERO_ERROR;
  int32_t utf16_length = 0;
  u_strFromUTF32(nullptr, 0, &utf16_length, codes.data(), static_cast<int32_t>(codes.size()),
                 &error);
  if (error != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(error)) return failed("u_strFromUTF32", error);
  std::vector<UChar> utf16(static_cast<std::size_t>(utf16_length) + 1);
  error = U_ZERO_ERROR;
  u_strFromUTF32(utf16.data(), static_cast<int32_t>(utf16.size()), &utf16_length, codes.data(),
                 static_cast<int32_t>(codes.size()), &error);
  if (U_FAILURE(error)) return failed("u_strFromUTF32", error);

  error = U_ZERO_ERROR;
  const UNormalizer2* nfkc = unorm2_getNFKCInstance(&error);
  if (U_FAILURE(error)) return failed("unorm2_getNFKCInstance", error);
  int32_t normal_length = unorm2_normalize(nfkc, utf16.data(), utf16_length, nullptr, 0, &error);
  if (error != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(error)) return failed("NFKC", error);
  std::vector<UChar> normal(static_cast<std::size_t>(normal_length) + 1);
  error = U_ZERO_ERROR;
  normal_length = unorm2_normalize(nfkc, utf16.data(), utf16_length, normal.data(),
                                   static_cast<int32_t>(normal.size()), &error);
  if (U_FAILURE(error)) return failed("NFKC", error);

  error = U_ZERO_ERROR;
  int32_t utf8_length = 0;
  u_strToUTF8(nullptr, 0, &utf8_length, normal.data(), normal_length, &error);
  if (error != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(error)) return failed("u_strToUTF8", error);
  std::string out(static_cast<std::size_t>(utf8_length) + 1, '\0');
  error = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &utf8_length, normal.data(),
              normal_length, &error);
  if (U_FAILURE(error)) return failed("u_strToUTF8", error);
  out.resize(static_cast<std::size_t>(utf8_length));
  return out;
}

std::string Describe(const Character& c) {
  return fmt::format("character {} (U+{:04X})", c.position, static_cast<std::uint32_t>(c.code));
}

}  // namespace

Result<std::string> SaslPrep(std::string_view text) {
  // Printable ASCII is its own SASLprep form. (PostgreSQL returns any ASCII text unchanged,
  // controls included, where this refuses them as C.2.1 says; as a SCRAM password both come
  // to the same bytes.)
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; })) {
    return std::string(text);
  }
  QUANTA_ASSIGN_OR_RETURN(std::vector<Character> input, DecodeUtf8(text));

  // 1. Map.
  std::vector<Character> mapped;
  mapped.reserve(input.size());
  for (const Character& c : input) {
    if (InTable(kNonAsciiSpace, c.code)) {
      mapped.push_back({U' ', c.position});
    } else if (!InTable(kMappedToNothing, c.code)) {
      mapped.push_back(c);
    }
  }
  if (mapped.empty()) {
    return Refused("nothing is left once the characters mapped to nothing are removed");
  }

  // 2. Prohibit, then the bidi rule, on the mapped text (as PostgreSQL does).
  for (const Character& c : mapped) {
    for (const ProhibitedTable& table : kProhibited) {
      if (InTable(table.ranges, c.code)) {
        return Refused(
            fmt::format("{} is prohibited (RFC 3454 table {})", Describe(c), table.name));
      }
    }
  }
  auto right_to_left = [](const Character& c) { return InTable(kRandAL, c.code); };
  auto first_rtl = std::find_if(mapped.begin(), mapped.end(), right_to_left);
  if (first_rtl != mapped.end()) {
    for (const Character& c : mapped) {
      if (InTable(kLeftToRight, c.code)) {
        return Refused(
            fmt::format("{} is left-to-right but {} is right-to-left; RFC 3454 "
                        "section 6 allows no mix",
                        Describe(c), Describe(*first_rtl)));
      }
    }
    if (!right_to_left(mapped.front()) || !right_to_left(mapped.back())) {
      const Character& end = right_to_left(mapped.front()) ? mapped.back() : mapped.front();
      return Refused(
          fmt::format("a right-to-left text must start and end with a right-to-left "
                      "character (RFC 3454 section 6), not with {}",
                      Describe(end)));
    }
  }

  // 3. Normalise.
  return NormalizeNfkc(mapped);
}

Result<std::string> PrepareScramPassword(std::string_view password) {
  Result<std::string> prepared = SaslPrep(password);
  if (prepared.ok() || prepared.status().code() == ErrorCode::kInternal) return prepared;
  return std::string(password);
}

}  // namespace quanta::ports
