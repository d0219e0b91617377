#include "node/sql_backend.h"

#include "node/sql_tables.h"

namespace quanta::node {

Result<std::unique_ptr<SqlBackend>> SqlBackend::Create(const std::vector<Principal>& principals,
                                                       std::shared_ptr<engine::Database> database,
                                                       const ProductCatalog& catalog) {
  std::unique_ptr<SqlBackend> backend(new SqlBackend(std::move(database), catalog, principals));
  for (const Principal& principal : principals) {
    ports::PgCredentials credentials;
    if (principal.trust) {
      credentials.kind = ports::PgCredentials::Kind::kTrust;
    } else {
      Result<ports::ScramVerifier> verifier = ports::ParseScramVerifier(principal.scram_verifier);
      if (!verifier.ok()) {
        return Status::Usage("principal '{}': {}", principal.name, verifier.status().message());
      }
      credentials.kind = ports::PgCredentials::Kind::kScram;
      credentials.verifier = std::move(verifier).value();
    }
    backend->credentials_[principal.name] = std::move(credentials);
  }
  return backend;
}

ports::PgCredentials SqlBackend::CredentialsFor(std::string_view user) {
  auto found = credentials_.find(user);
  return found == credentials_.end() ? ports::PgCredentials{} : found->second;
}

Result<std::unique_ptr<engine::Connection>> SqlBackend::Connect() { return database_->Connect(); }

std::unique_ptr<query::TableResolver> SqlBackend::ResolverFor(std::string_view user) {
  return std::make_unique<ProductTables>(catalog_, grants_.ReaderFor(user), principals_);
}

}  // namespace quanta::node
