#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/database.h"
#include "governance/read_access.h"

namespace quanta::ports {

/// `changes_sql` (store::ProductStore::ChangesBetween's SQL: the change's version and kind,
/// then the dataset's `columns`) as `access` lets its reader see it (ReadableRowsSql), without
/// the delete and insert of one version that the reader cannot tell apart. An upsert that
/// changed only columns the reader sees masked is such a pair: streamed or exported, it would
/// tell the reader when a value it may not see changed, and of which row. For a reader without
/// masks, ReadableRowsSql alone. Used by the change stream and incremental exports.
std::string ReadableChangesSql(std::string_view changes_sql,
                               const std::vector<engine::Column>& columns,
                               const governance::DatasetAccess& access);

}  // namespace quanta::ports
