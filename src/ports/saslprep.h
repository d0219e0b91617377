#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace quanta::ports {

// SASLprep (RFC 4013, a profile of RFC 3454's stringprep) prepares a password before SCRAM
// hashes it, so that the same password typed in another Unicode form (a no-break space for a
// space, a soft hyphen, a compatibility character) gives the same keys. PostgreSQL applies it
// on both sides: libpq to the password it is given, the server to the password it stores. The
// code point tables are Unicode 3.2's (saslprep_tables.inc); the normalisation is NFKC from
// ICU.

/// SASLprep of UTF-8 `text`, as PostgreSQL's pg_saslprep computes it, so that every key made
/// here matches libpq's:
///   1. map: non-ASCII spaces (RFC 3454 C.1.2) become U+0020, B.1's characters are removed;
///   2. check the mapped text: no character of C.1.2 to C.9 and none unassigned in Unicode 3.2
///      (A.1); and section 6's bidi rule: a text with an R or AL character (D.1) holds no L
///      character (D.2) and starts and ends with R or AL;
///   3. normalise to NFKC.
/// Like PostgreSQL (and unlike the letter of RFC 3454, which checks the normalised text),
/// step 2 looks at the text before normalisation. Printable ASCII is returned unchanged. Fails
/// (kInvalidDocument) when `text` is not UTF-8, when nothing is left after mapping, or when a
/// character breaks step 2; the message names the character, its position and the table.
/// Thread-safe.
Result<std::string> SaslPrep(std::string_view text);

/// The bytes SCRAM hashes for `password`: its SASLprep form when SASLprep accepts it, else the
/// password's own bytes (not UTF-8, or a prohibited character), as PostgreSQL's server and
/// libpq both do. Fails only when ICU cannot normalise (kInternal): that is never taken for a
/// refusal, which would silently give other keys. Thread-safe.
Result<std::string> PrepareScramPassword(std::string_view password);

}  // namespace quanta::ports
