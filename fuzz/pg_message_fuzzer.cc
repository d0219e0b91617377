// libFuzzer target: any bytes a client sends to the SQL port must yield messages or one clear
// error, never a crash, hang or unbounded memory, however the bytes are split into reads. The
// input is read twice from the untyped startup phase (whole, then in pieces whose sizes come
// from the input itself) and once after a valid StartupMessage, and both readings must agree.
// Messages that carry values go on to the parsers behind them: password and SASL bodies,
// SCRAM messages (half of them as over TLS, with SCRAM-SHA-256-PLUS offered), SASLprep, and
// Bind parameters decoded as the types the Parse before them named.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "ports/pg_message.h"
#include "ports/pg_scram.h"
#include "ports/pg_types.h"
#include "ports/saslprep.h"

namespace {

using quanta::ports::PgFrontendMessage;
using quanta::ports::PgFrontendReader;

struct Reading {
  std::size_t messages = 0;
  std::string error;
};

// A reader with small limits, so that the fuzzer reaches them.
quanta::ports::PgMessageLimits FuzzLimits() {
  quanta::ports::PgMessageLimits limits;
  limits.max_message_bytes = 1 << 16;
  limits.max_parameters = 64;
  return limits;
}

void ExerciseValues(const PgFrontendMessage& message, std::vector<std::uint32_t>& types) {
  if (const auto* parse = std::get_if<quanta::ports::PgParse>(&message)) {
    types = parse->parameter_types;
  } else if (const auto* bind = std::get_if<quanta::ports::PgBind>(&message)) {
    // Unnamed parameter types cycle through the types the port reads.
    static constexpr std::uint32_t kOids[] = {16,   17,   20,   21,   23,   25,   114,  700,
                                              701,  1082, 1083, 1114, 1184, 1186, 1700, 2950,
                                              3802, 1007, 1009, 1016, 1182, 1231, 0};
    for (std::size_t i = 0; i < bind->parameters.size(); ++i) {
      if (!bind->parameters[i]) continue;
      std::uint32_t oid = i < types.size() && types[i] != 0
                              ? types[i]
                              : kOids[(bind->parameters[i]->size() + i) % std::size(kOids)];
      (void)quanta::ports::DecodePgValue(oid, bind->ParameterFormat(i), *bind->parameters[i]);
    }
  } else if (const auto* password = std::get_if<quanta::ports::PgPasswordMessage>(&message)) {
    (void)quanta::ports::ParsePasswordMessage(password->body);
    auto initial = quanta::ports::ParseSaslInitialResponse(password->body);
    (void)quanta::ports::SaslPrep(password->body);
    auto exchange = quanta::ports::ScramServerExchange::ForUnknownUser("fuzz", "secret");
    // Half the inputs run as over TLS, where SCRAM-SHA-256-PLUS is offered and chosen.
    if (password->body.size() % 2 == 0) exchange.OfferChannelBinding(std::string(32, '\x5a'));
    if (initial.ok() && !exchange.SelectMechanism(initial->mechanism).ok()) return;
    auto first =
        exchange.HandleClientFirst(initial.ok() && initial->data ? *initial->data : password->body);
    if (first.ok()) (void)exchange.HandleClientFinal(password->body);
  }
}

Reading Read(std::string_view prefix, std::string_view input, bool split, bool values) {
  PgFrontendReader reader(FuzzLimits());
  Reading reading;
  std::vector<std::uint32_t> types;
  auto drain = [&] {
    while (reading.error.empty()) {
      auto next = reader.Next();
      if (!next.ok()) {
        reading.error = next.status().ToString();
        // The answer a session would send before closing the connection.
        std::string answer;
        quanta::ports::PgBackendWriter writer(&answer);
        writer.ErrorResponse(quanta::ports::PgErrorFields::FromStatus(next.status(), "FATAL"));
        return;
      }
      if (!next->has_value()) return;
      ++reading.messages;
      if (values) ExerciseValues(**next, types);
    }
  };
  reader.Feed(prefix);
  drain();
  std::uint32_t state = 2166136261u;
  for (unsigned char c : input) state = (state ^ c) * 16777619u;
  std::size_t at = 0;
  while (at < input.size() && reading.error.empty()) {
    std::size_t piece = input.size() - at;
    if (split) {
      state = state * 1103515245u + 12345u;
      piece = std::min<std::size_t>(piece, 1 + (state >> 16) % 17);
    }
    reader.Feed(input.substr(at, piece));
    at += piece;
    drain();
  }
  return reading;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Reading whole = Read({}, input, false, true);
  Reading pieces = Read({}, input, true, false);
  if (whole.messages != pieces.messages || whole.error != pieces.error) __builtin_trap();
  // The same bytes as typed messages, after a StartupMessage for user "fuzz".
  static const std::string kStartup = [] {
    std::string body = std::string("user\0fuzz\0\0", 11);
    std::uint32_t length = static_cast<std::uint32_t>(body.size() + 8);
    std::string header = {static_cast<char>(length >> 24),
                          static_cast<char>(length >> 16),
                          static_cast<char>(length >> 8),
                          static_cast<char>(length),
                          0,
                          3,
                          0,
                          0};
    return header + body;
  }();
  Reading typed_whole = Read(kStartup, input, false, true);
  Reading typed_pieces = Read(kStartup, input, true, false);
  if (typed_whole.messages != typed_pieces.messages || typed_whole.error != typed_pieces.error) {
    __builtin_trap();
  }
  return 0;
}
