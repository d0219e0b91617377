#include "ports/saslprep.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/matchers.h"

namespace quanta::ports {
namespace {

// RFC 4013 section 3's examples, in its order.
TEST(SaslPrepTest, GivesRfc4013sExamples) {
  // 1. SOFT HYPHEN mapped to nothing.
  ASSERT_OK_AND_ASSIGN(std::string soft_hyphen, SaslPrep("I\u00ADX"));
  EXPECT_EQ(soft_hyphen, "IX");
  // 2. No transformation.
  ASSERT_OK_AND_ASSIGN(std::string user, SaslPrep("user"));
  EXPECT_EQ(user, "user");
  // 3. Case preserved, will not match #2.
  ASSERT_OK_AND_ASSIGN(std::string upper, SaslPrep("USER"));
  EXPECT_EQ(upper, "USER");
  // 4. Output is NFKC, input in ISO 8859-1.
  ASSERT_OK_AND_ASSIGN(std::string ordinal, SaslPrep("\u00AA"));
  EXPECT_EQ(ordinal, "a");
  // 5. Output is NFKC, will match #1.
  ASSERT_OK_AND_ASSIGN(std::string roman_nine, SaslPrep("\u2168"));
  EXPECT_EQ(roman_nine, "IX");
  // 6. Error: prohibited character.
  Result<std::string> bell = SaslPrep("\u0007");
  ASSERT_FALSE(bell.ok());
  EXPECT_EQ(bell.status().code(), ErrorCode::kInvalidDocument);
  EXPECT_EQ(bell.status().message(),
            "SASLprep: character 1 (U+0007) is prohibited (RFC 3454 table C.2.1, ASCII control "
            "characters)");
  // 7. Error: bidirectional check (an Arabic letter, then a digit, which is not R or AL).
  Result<std::string> bidi = SaslPrep("\u0627\u0031");
  ASSERT_FALSE(bidi.ok());
  EXPECT_NE(bidi.status().message().find("must start and end with a right-to-left character"),
            std::string::npos)
      << bidi.status().message();
  EXPECT_NE(bidi.status().message().find("character 2 (U+0031)"), std::string::npos);
}

TEST(SaslPrepTest, MapsNonAsciiSpacesToSpaceAndNormalisesToNfkc) {
  ASSERT_OK_AND_ASSIGN(std::string no_break, SaslPrep("correct\u00A0horse\u3000battery"));
  EXPECT_EQ(no_break, "correct horse battery");
  ASSERT_OK_AND_ASSIGN(std::string decomposed, SaslPrep("caf\u0065\u0301"));  // e + acute
  EXPECT_EQ(decomposed, "caf\u00E9");
  ASSERT_OK_AND_ASSIGN(std::string fullwidth, SaslPrep("\uFF30\uFF41\uFF53\uFF53"));
  EXPECT_EQ(fullwidth, "Pass");
  ASSERT_OK_AND_ASSIGN(std::string ligature, SaslPrep("\uFB01le"));  // the fi ligature
  EXPECT_EQ(ligature, "file");
  ASSERT_OK_AND_ASSIGN(std::string zero_width, SaslPrep("pa\u200Dss\uFEFFword"));
  EXPECT_EQ(zero_width, "password");
  // ZERO WIDTH SPACE is in both C.1.2 and B.1; like PostgreSQL, the space mapping wins.
  ASSERT_OK_AND_ASSIGN(std::string zero_width_space, SaslPrep("pa\u200Bss\u00E9"));
  EXPECT_EQ(zero_width_space, "pa ss\u00E9");
  // Beyond the BMP: MATHEMATICAL BOLD CAPITAL A is a compatibility form of A.
  ASSERT_OK_AND_ASSIGN(std::string bold, SaslPrep("\U0001D400bc\u00E9"));
  EXPECT_EQ(bold, "Abc\u00E9");
}

TEST(SaslPrepTest, AcceptsRightToLeftTextThatFollowsTheBidiRule) {
  ASSERT_OK_AND_ASSIGN(std::string hebrew, SaslPrep("\u05E9\u05DC\u05D5\u05DD"));
  EXPECT_EQ(hebrew, "\u05E9\u05DC\u05D5\u05DD");
  // Digits (EN) may sit inside, between right-to-left characters.
  ASSERT_OK_AND_ASSIGN(std::string with_digit, SaslPrep("\u0627\u0031\u0628"));
  EXPECT_EQ(with_digit, "\u0627\u0031\u0628");
  Result<std::string> mixed = SaslPrep("\u05D0a\u05D1");
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("character 2 (U+0061) is left-to-right"),
            std::string::npos)
      << mixed.status().message();
}

TEST(SaslPrepTest, RefusesProhibitedAndUnassignedCharactersNamingTheTable) {
  struct Case {
    std::string text;
    std::string_view table;
  };
  for (const Case& refused : {
           Case{"ab\u0085", "C.2.2"},        // NEXT LINE
           Case{"\uE000x\u00E9", "C.3"},     // private use
           Case{"\uFDD0\u00E9", "C.4"},      // a non-character
           Case{"\uFFFD\u00E9", "C.6"},      // REPLACEMENT CHARACTER
           Case{"\u2FF0\u00E9", "C.7"},      // an ideographic description character
           Case{"a\u200E\u00E9", "C.8"},     // LEFT-TO-RIGHT MARK
           Case{"\U000E0001\u00E9", "C.9"},  // LANGUAGE TAG
           Case{"\u0221\u00E9", "A.1"},      // unassigned in Unicode 3.2 (assigned in 4.0)
           Case{"\U0001F600\u00E9", "A.1"},  // an emoji: Unicode 6.1
       }) {
    Result<std::string> answer = SaslPrep(refused.text);
    ASSERT_FALSE(answer.ok()) << "accepted: " << refused.text;
    EXPECT_NE(answer.status().message().find("table " + std::string(refused.table)),
              std::string::npos)
        << answer.status().message();
  }
}

// PostgreSQL checks the mapped text before NFKC, not after it as RFC 3454 section 2 says. What
// libpq sends for such a password is its raw bytes, so the server must refuse the same ones.
TEST(SaslPrepTest, ChecksTheTextBeforeNormalisationAsPostgreSQLDoes) {
  // MODIFIER LETTER CAPITAL A (Unicode 4.0) normalises to "A", but is unassigned in 3.2.
  Result<std::string> modifier = SaslPrep("\u1D2C\u00E9");
  ASSERT_FALSE(modifier.ok());
  EXPECT_NE(modifier.status().message().find("character 1 (U+1D2C)"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(std::string kept, PrepareScramPassword("\u1D2C\u00E9"));
  EXPECT_EQ(kept, "\u1D2C\u00E9");
  // ALEF SYMBOL is left-to-right in Unicode 3.2 but normalises to HEBREW LETTER ALEF (R): a
  // mix with Hebrew is refused although the normalised text would pass.
  EXPECT_FALSE(SaslPrep("\u05D0\u2135\u05D1").ok());
}

TEST(SaslPrepTest, RefusesInvalidUtf8NamingTheByte) {
  for (std::string_view bad : {
           std::string_view("ab\xFF"),            // never a UTF-8 byte
           std::string_view("\xC3"),              // cut short
           std::string_view("\xC3\x28"),          // no continuation byte
           std::string_view("\xC0\xAF"),          // overlong '/'
           std::string_view("\xED\xA0\x80"),      // a surrogate
           std::string_view("\xF4\x90\x80\x80"),  // beyond U+10FFFF
       }) {
    Result<std::string> answer = SaslPrep(bad);
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.status().code(), ErrorCode::kInvalidDocument);
    EXPECT_NE(answer.status().message().find("byte"), std::string::npos)
        << answer.status().message();
  }
  Result<std::string> third = SaslPrep("ab\xFF");
  EXPECT_EQ(third.status().message(), "SASLprep: byte 3 (0xFF) does not start a UTF-8 character");
}

TEST(SaslPrepTest, RefusesATextThatMapsToNothing) {
  Result<std::string> only_soft_hyphen = SaslPrep("\u00AD");
  ASSERT_FALSE(only_soft_hyphen.ok());
  EXPECT_NE(only_soft_hyphen.status().message().find("nothing is left"), std::string::npos);
}

TEST(SaslPrepTest, AScramPasswordIsItsSaslPrepFormOrElseItsOwnBytes) {
  ASSERT_OK_AND_ASSIGN(std::string prepared, PrepareScramPassword("I\u00ADX"));
  EXPECT_EQ(prepared, "IX");
  for (std::string_view raw : {std::string_view("\xFF\xFEpassword"), std::string_view("\u00AD"),
                               std::string_view("tab\there"), std::string_view("\u0627\u0031")}) {
    ASSERT_OK_AND_ASSIGN(std::string kept, PrepareScramPassword(raw));
    EXPECT_EQ(kept, raw);
  }
  ASSERT_OK_AND_ASSIGN(std::string ascii, PrepareScramPassword("correct horse battery staple"));
  EXPECT_EQ(ascii, "correct horse battery staple");
}

}  // namespace
}  // namespace quanta::ports
