#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "ports/pg_scram.h"
#include "ports/saslprep.h"

namespace quanta::cli {
namespace {

struct VerifierArguments {
  bool password_stdin = false;
  int iterations = ports::kScramDefaultIterations;
};

int MakeVerifier(const VerifierArguments& arguments) {
  if (!arguments.password_stdin) {
    std::cerr << "quanta scram-verifier: give the password on standard input with "
                 "--password-stdin, so that it stays out of the shell history\n";
    return 2;
  }
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    std::cerr << "quanta scram-verifier: the password on standard input is empty\n";
    return 2;
  }
  // The verifier is made from the password's SASLprep form, as libpq prepares what it sends.
  // A password SASLprep refuses is hashed as its bytes, as PostgreSQL does: say so, since then
  // only exactly these bytes sign in.
  if (Result<std::string> prepared = ports::SaslPrep(password); !prepared.ok()) {
    std::cerr << "quanta scram-verifier: note: " << prepared.status().message()
              << "; the password's bytes are used as they are, as PostgreSQL does, so only "
                 "exactly these bytes sign in\n";
  }
  Result<ports::ScramVerifier> verifier = ports::MakeScramVerifier(password, arguments.iterations);
  if (!verifier.ok()) {
    std::cerr << "quanta scram-verifier: " << verifier.status().message() << "\n";
    return 2;
  }
  std::cout << verifier->ToString() << "\n";
  return 0;
}

}  // namespace

void RegisterScramVerifierCommand(CLI::App& app, int* exit_code) {
  auto arguments = std::make_shared<VerifierArguments>();
  CLI::App* command = app.add_subcommand(
      "scram-verifier",
      "Print the SCRAM-SHA-256 verifier of a password, for a principal in node.yaml");
  command->add_flag("--password-stdin", arguments->password_stdin,
                    "Read the password from the first line of standard input");
  command
      ->add_option("--iterations", arguments->iterations,
                   "PBKDF2 iterations (default 4096, as PostgreSQL)")
      ->check(CLI::Range(1, 10'000'000));
  command->footer(
      "The verifier is what the node keeps instead of the password (PostgreSQL's format, so a\n"
      "verifier from pg_authid works too). The password is read as UTF-8 and prepared with\n"
      "SASLprep (RFC 4013) first, as PostgreSQL and libpq do, so the same password typed in\n"
      "another Unicode form signs in too. Put it in node.yaml:\n"
      "  principals:\n"
      "    - name: analyst\n"
      "      scram: SCRAM-SHA-256$4096:...\n\n"
      "Exit codes: 0 printed, 2 no password given.\n\n"
      "Example:\n  echo 's3cret' | quanta scram-verifier --password-stdin");
  command->callback([arguments, exit_code] { *exit_code = MakeVerifier(*arguments); });
}

}  // namespace quanta::cli
