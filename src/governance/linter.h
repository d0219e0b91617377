#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"

namespace quanta::governance {

/// What `quanta lint` checks besides the standards and meaning.
struct LintOptions {
  /// Folder of mesh policies (.sql); none: the mesh config's, if any.
  std::optional<std::filesystem::path> policies_dir;
  /// Mesh config file (quanta-mesh.yaml); none: found by walking up from each linted path.
  std::optional<std::filesystem::path> mesh_file;
  /// Also run the default policy set shipped with Quanta.
  bool default_policies = false;
};

/// The findings of one lint run.
struct LintReport {
  std::vector<std::string> files;  ///< every document looked at
  std::vector<Diagnostic> diagnostics;  ///< sorted by file, line, column
  int products = 0;                ///< product folders linted
};

/// Lints each path: a product folder (product.yaml, contracts, pipeline, transforms), a folder
/// holding product folders (each is linted), or a single ODCS, ODPS or pipeline document.
/// Documents that are wrong are findings in the report; fails (IoError, Usage) only when a path
/// cannot be read or holds nothing to lint.
Result<LintReport> Lint(const std::vector<std::filesystem::path>& paths,
                        const LintOptions& options);

}  // namespace quanta::governance
