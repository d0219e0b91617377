#include "ports/pg_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "base/ascii.h"

namespace quanta::ports {
namespace {

constexpr PgSetting kSettings[] = {
    {"server_version", "", true, true},
    {"server_version_num", "150000", true, false},
    {"server_encoding", "UTF8", true, true},
    {"client_encoding", "UTF8", true, true},
    {"DateStyle", "ISO, MDY", false, true},
    {"IntervalStyle", "postgres", true, true},
    {"TimeZone", "UTC", true, true},
    {"integer_datetimes", "on", true, true},
    {"standard_conforming_strings", "on", true, true},
    {"is_superuser", "off", true, true},
    {"default_transaction_read_only", "on", true, true},
    {"transaction_read_only", "on", true, false},
    {"in_hot_standby", "off", true, true},
    {"application_name", "", false, true},
    {"extra_float_digits", "1", false, false},
    {"search_path", "\"$user\", public", false, false},
    {"statement_timeout", "0", false, false},
    {"transaction_isolation", "read committed", false, false},
    {"default_transaction_isolation", "read committed", false, false},
    {"lc_messages", "C", false, false},
    {"bytea_output", "hex", true, false},
    {"max_identifier_length", "63", true, false},
};

// The names of PostgreSQL 15's settings (pg_settings), in lower case and sorted, so that SET of
// one the port does not offer is told apart from a misspelling.
constexpr std::string_view kPostgresSettingNames[] = {
    "allow_in_place_tablespaces",
    "allow_system_table_mods",
    "application_name",
    "archive_cleanup_command",
    "archive_command",
    "archive_library",
    "archive_mode",
    "archive_timeout",
    "array_nulls",
    "authentication_timeout",
    "autovacuum",
    "autovacuum_analyze_scale_factor",
    "autovacuum_analyze_threshold",
    "autovacuum_freeze_max_age",
    "autovacuum_max_workers",
    "autovacuum_multixact_freeze_max_age",
    "autovacuum_naptime",
    "autovacuum_vacuum_cost_delay",
    "autovacuum_vacuum_cost_limit",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_vacuum_insert_threshold",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_threshold",
    "autovacuum_work_mem",
    "backend_flush_after",
    "backslash_quote",
    "backtrace_functions",
    "bgwriter_delay",
    "bgwriter_flush_after",
    "bgwriter_lru_maxpages",
    "bgwriter_lru_multiplier",
    "block_size",
    "bonjour",
    "bonjour_name",
    "bytea_output",
    "check_function_bodies",
    "checkpoint_completion_target",
    "checkpoint_flush_after",
    "checkpoint_timeout",
    "checkpoint_warning",
    "client_connection_check_interval",
    "client_encoding",
    "client_min_messages",
    "cluster_name",
    "commit_delay",
    "commit_siblings",
    "compute_query_id",
    "config_file",
    "constraint_exclusion",
    "cpu_index_tuple_cost",
    "cpu_operator_cost",
    "cpu_tuple_cost",
    "cursor_tuple_fraction",
    "data_checksums",
    "data_directory",
    "data_directory_mode",
    "data_sync_retry",
    "datestyle",
    "db_user_namespace",
    "deadlock_timeout",
    "debug_assertions",
    "debug_discard_caches",
    "debug_pretty_print",
    "debug_print_parse",
    "debug_print_plan",
    "debug_print_rewritten",
    "default_statistics_target",
    "default_table_access_method",
    "default_tablespace",
    "default_text_search_config",
    "default_toast_compression",
    "default_transaction_deferrable",
    "default_transaction_isolation",
    "default_transaction_read_only",
    "dynamic_library_path",
    "dynamic_shared_memory_type",
    "effective_cache_size",
    "effective_io_concurrency",
    "enable_async_append",
    "enable_bitmapscan",
    "enable_gathermerge",
    "enable_hashagg",
    "enable_hashjoin",
    "enable_incremental_sort",
    "enable_indexonlyscan",
    "enable_indexscan",
    "enable_material",
    "enable_memoize",
    "enable_mergejoin",
    "enable_nestloop",
    "enable_parallel_append",
    "enable_parallel_hash",
    "enable_partition_pruning",
    "enable_partitionwise_aggregate",
    "enable_partitionwise_join",
    "enable_seqscan",
    "enable_sort",
    "enable_tidscan",
    "escape_string_warning",
    "event_source",
    "exit_on_error",
    "extension_destdir",
    "external_pid_file",
    "extra_float_digits",
    "force_parallel_mode",
    "from_collapse_limit",
    "fsync",
    "full_page_writes",
    "geqo",
    "geqo_effort",
    "geqo_generations",
    "geqo_pool_size",
    "geqo_seed",
    "geqo_selection_bias",
    "geqo_threshold",
    "gin_fuzzy_search_limit",
    "gin_pending_list_limit",
    "hash_mem_multiplier",
    "hba_file",
    "hot_standby",
    "hot_standby_feedback",
    "huge_page_size",
    "huge_pages",
    "ident_file",
    "idle_in_transaction_session_timeout",
    "idle_session_timeout",
    "ignore_checksum_failure",
    "ignore_invalid_pages",
    "ignore_system_indexes",
    "in_hot_standby",
    "integer_datetimes",
    "intervalstyle",
    "jit",
    "jit_above_cost",
    "jit_debugging_support",
    "jit_dump_bitcode",
    "jit_expressions",
    "jit_inline_above_cost",
    "jit_optimize_above_cost",
    "jit_profiling_support",
    "jit_provider",
    "jit_tuple_deforming",
    "join_collapse_limit",
    "krb_caseins_users",
    "krb_server_keyfile",
    "lc_collate",
    "lc_ctype",
    "lc_messages",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
    "listen_addresses",
    "lo_compat_privileges",
    "local_preload_libraries",
    "lock_timeout",
    "log_autovacuum_min_duration",
    "log_checkpoints",
    "log_connections",
    "log_destination",
    "log_directory",
    "log_disconnections",
    "log_duration",
    "log_error_verbosity",
    "log_executor_stats",
    "log_file_mode",
    "log_filename",
    "log_hostname",
    "log_line_prefix",
    "log_lock_waits",
    "log_min_duration_sample",
    "log_min_duration_statement",
    "log_min_error_statement",
    "log_min_messages",
    "log_parameter_max_length",
    "log_parameter_max_length_on_error",
    "log_parser_stats",
    "log_planner_stats",
    "log_recovery_conflict_waits",
    "log_replication_commands",
    "log_rotation_age",
    "log_rotation_size",
    "log_startup_progress_interval",
    "log_statement",
    "log_statement_sample_rate",
    "log_statement_stats",
    "log_temp_files",
    "log_timezone",
    "log_transaction_sample_rate",
    "log_truncate_on_rotation",
    "logging_collector",
    "logical_decoding_work_mem",
    "maintenance_io_concurrency",
    "maintenance_work_mem",
    "max_connections",
    "max_files_per_process",
    "max_function_args",
    "max_identifier_length",
    "max_index_keys",
    "max_locks_per_transaction",
    "max_logical_replication_workers",
    "max_parallel_maintenance_workers",
    "max_parallel_workers",
    "max_parallel_workers_per_gather",
    "max_pred_locks_per_page",
    "max_pred_locks_per_relation",
    "max_pred_locks_per_transaction",
    "max_prepared_transactions",
    "max_replication_slots",
    "max_slot_wal_keep_size",
    "max_stack_depth",
    "max_standby_archive_delay",
    "max_standby_streaming_delay",
    "max_sync_workers_per_subscription",
    "max_wal_senders",
    "max_wal_size",
    "max_worker_processes",
    "min_dynamic_shared_memory",
    "min_parallel_index_scan_size",
    "min_parallel_table_scan_size",
    "min_wal_size",
    "old_snapshot_threshold",
    "parallel_leader_participation",
    "parallel_setup_cost",
    "parallel_tuple_cost",
    "password_encryption",
    "plan_cache_mode",
    "port",
    "post_auth_delay",
    "pre_auth_delay",
    "primary_conninfo",
    "primary_slot_name",
    "promote_trigger_file",
    "quote_all_identifiers",
    "random_page_cost",
    "recovery_end_command",
    "recovery_init_sync_method",
    "recovery_min_apply_delay",
    "recovery_prefetch",
    "recovery_target",
    "recovery_target_action",
    "recovery_target_inclusive",
    "recovery_target_lsn",
    "recovery_target_name",
    "recovery_target_time",
    "recovery_target_timeline",
    "recovery_target_xid",
    "recursive_worktable_factor",
    "remove_temp_files_after_crash",
    "restart_after_crash",
    "restore_command",
    "restrict_nonsystem_relation_kind",
    "row_security",
    "search_path",
    "segment_size",
    "seq_page_cost",
    "server_encoding",
    "server_version",
    "server_version_num",
    "session_preload_libraries",
    "session_replication_role",
    "shared_buffers",
    "shared_memory_size",
    "shared_memory_size_in_huge_pages",
    "shared_memory_type",
    "shared_preload_libraries",
    "ssl",
    "ssl_ca_file",
    "ssl_cert_file",
    "ssl_ciphers",
    "ssl_crl_dir",
    "ssl_crl_file",
    "ssl_dh_params_file",
    "ssl_ecdh_curve",
    "ssl_key_file",
    "ssl_library",
    "ssl_max_protocol_version",
    "ssl_min_protocol_version",
    "ssl_passphrase_command",
    "ssl_passphrase_command_supports_reload",
    "ssl_prefer_server_ciphers",
    "standard_conforming_strings",
    "statement_timeout",
    "stats_fetch_consistency",
    "superuser_reserved_connections",
    "synchronize_seqscans",
    "synchronous_commit",
    "synchronous_standby_names",
    "syslog_facility",
    "syslog_ident",
    "syslog_sequence_numbers",
    "syslog_split_messages",
    "tcp_keepalives_count",
    "tcp_keepalives_idle",
    "tcp_keepalives_interval",
    "tcp_user_timeout",
    "temp_buffers",
    "temp_file_limit",
    "temp_tablespaces",
    "timezone",
    "timezone_abbreviations",
    "trace_notify",
    "trace_recovery_messages",
    "trace_sort",
    "track_activities",
    "track_activity_query_size",
    "track_commit_timestamp",
    "track_counts",
    "track_functions",
    "track_io_timing",
    "track_wal_io_timing",
    "transaction_deferrable",
    "transaction_isolation",
    "transaction_read_only",
    "transform_null_equals",
    "unix_socket_directories",
    "unix_socket_group",
    "unix_socket_permissions",
    "update_process_title",
    "vacuum_cost_delay",
    "vacuum_cost_limit",
    "vacuum_cost_page_dirty",
    "vacuum_cost_page_hit",
    "vacuum_cost_page_miss",
    "vacuum_defer_cleanup_age",
    "vacuum_failsafe_age",
    "vacuum_freeze_min_age",
    "vacuum_freeze_table_age",
    "vacuum_multixact_failsafe_age",
    "vacuum_multixact_freeze_min_age",
    "vacuum_multixact_freeze_table_age",
    "wal_block_size",
    "wal_buffers",
    "wal_compression",
    "wal_consistency_checking",
    "wal_decode_buffer_size",
    "wal_init_zero",
    "wal_keep_size",
    "wal_level",
    "wal_log_hints",
    "wal_receiver_create_temp_slot",
    "wal_receiver_status_interval",
    "wal_receiver_timeout",
    "wal_recycle",
    "wal_retrieve_retry_interval",
    "wal_segment_size",
    "wal_sender_timeout",
    "wal_skip_threshold",
    "wal_sync_method",
    "wal_writer_delay",
    "wal_writer_flush_after",
    "work_mem",
    "xmlbinary",
    "xmloption",
    "zero_damaged_pages",
};

Status InvalidValue(std::string_view name, std::string_view value, std::string_view why = {}) {
  return Status(ErrorCode::kInvalidDocument,
                fmt::format("invalid value for parameter \"{}\": \"{}\"{}{}", name, value,
                            why.empty() ? "" : ": ", why));
}

// The words of a list value, split at commas and white space.
std::vector<std::string> ListItems(std::string_view value) {
  std::vector<std::string> items;
  std::string current;
  for (char c : value) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!current.empty()) items.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) items.push_back(std::move(current));
  return items;
}

Result<std::string> CheckDateStyle(std::string_view value) {
  for (const std::string& item : ListItems(value)) {
    std::string word = AsciiLower(item);
    if (word == "iso" || word == "mdy" || word == "us" || word == "noneuro" ||
        word == "noneuropean" || word == "default") {
      continue;
    }
    if (word == "sql" || word == "postgres" || word == "german" || word == "dmy" || word == "ymd" ||
        word == "euro" || word == "european") {
      return Status::NotSupported(
          "DateStyle \"{}\" is not supported: the SQL port writes dates in the ISO style and "
          "reads them in MDY order only; set 'ISO' or 'ISO, MDY'",
          value);
    }
    return InvalidValue("DateStyle", value, fmt::format("unrecognized key word \"{}\"", word));
  }
  return std::string("ISO, MDY");
}

Result<std::string> CheckExtraFloatDigits(std::string_view value) {
  std::string text(TrimBlanks(value));
  char* end = nullptr;
  long digits = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    return Status(ErrorCode::kInvalidDocument,
                  fmt::format("invalid value for parameter \"extra_float_digits\": \"{}\"", value));
  }
  if (digits < -15 || digits > 3) {
    return Status(ErrorCode::kInvalidDocument,
                  fmt::format("{} is outside the valid range for parameter "
                              "\"extra_float_digits\" (-15 .. 3)",
                              text));
  }
  if (digits < 1) {
    return Status::NotSupported(
        "extra_float_digits = {} is not supported: the SQL port sends floating-point values in "
        "their shortest exact form, as PostgreSQL does with extra_float_digits 1 to 3; set 1, 2 "
        "or 3",
        digits);
  }
  return std::to_string(digits);
}

// A search_path as PostgreSQL shows it: names that need it in double quotes.
std::string SearchPathText(std::string_view value) {
  std::string text;
  for (const std::string& item : ListItems(value)) {
    bool plain = !item.empty() && !std::isdigit(static_cast<unsigned char>(item[0]));
    for (char c : item) {
      plain = plain && (std::islower(static_cast<unsigned char>(c)) ||
                        std::isdigit(static_cast<unsigned char>(c)) || c == '_');
    }
    if (!text.empty()) text += ", ";
    text += plain ? item : "\"" + item + "\"";
  }
  return text.empty() ? "\"\"" : text;
}

}  // namespace

std::span<const PgSetting> PgSettings() { return kSettings; }

const PgSetting* FindPgSetting(std::string_view name) {
  const std::string lower = AsciiLower(name);
  for (const PgSetting& setting : kSettings) {
    if (AsciiLower(setting.name) == lower) return &setting;
  }
  return nullptr;
}

bool IsPostgresSettingName(std::string_view name) {
  return std::binary_search(std::begin(kPostgresSettingNames), std::end(kPostgresSettingNames),
                            AsciiLower(name));
}

Status UnavailablePgSetting(std::string_view name) {
  if (IsPostgresSettingName(name)) {
    return Status::NotSupported(
        "parameter \"{}\" is not available on the SQL port: the node fixes its engine's "
        "settings; a session can set application_name, DateStyle (ISO), extra_float_digits (1 "
        "to 3), search_path, statement_timeout and lc_messages",
        name);
  }
  return Status::NotFound("unrecognized configuration parameter \"{}\"", name);
}

Result<std::string> CheckPgSetting(const PgSetting& setting, std::string_view value) {
  const std::string name = AsciiLower(setting.name);
  const std::string lower = AsciiLower(TrimBlanks(value));
  if (name == "datestyle") return CheckDateStyle(value);
  if (name == "extra_float_digits") return CheckExtraFloatDigits(value);
  if (name == "search_path") return SearchPathText(value);
  if (name == "statement_timeout") {
    QUANTA_RETURN_IF_ERROR(ParseStatementTimeout(value).status());
    return std::string(value);
  }
  if (name == "application_name") return std::string(value);
  if (name == "transaction_isolation" || name == "default_transaction_isolation") {
    if (lower == "read committed" || lower == "read uncommitted") return lower;
    if (lower == "repeatable read" || lower == "serializable") {
      return Status::NotSupported(
          "{} = '{}' is not supported: each statement on the SQL port reads the data committed "
          "when it starts (read committed); set 'read committed'",
          setting.name, lower);
    }
    return InvalidValue(setting.name, value);
  }
  if (name == "lc_messages") {
    if (lower.empty() || lower == "c" || lower == "posix" || lower.starts_with("en_") ||
        lower.starts_with("c.")) {
      return std::string(value);
    }
    return Status::NotSupported(
        "lc_messages = '{}' is not supported: the SQL port's messages are in English; set 'C' "
        "or an English locale such as 'en_US.UTF-8'",
        value);
  }
  // The fixed ones: the value the node uses, in any of PostgreSQL's spellings of it.
  const std::string fixed = AsciiLower(setting.value);
  bool same = lower == fixed;
  if (name == "client_encoding") same = same || lower == "unicode" || lower == "utf-8";
  if (name == "timezone") same = same || lower == "etc/utc";
  if (name == "default_transaction_read_only" || name == "transaction_read_only") {
    same = same || lower == "true" || lower == "1" || lower == "yes";
  }
  if (!same) {
    return Status::NotSupported(
        "parameter \"{}\" is fixed at '{}' on this server; only SET {} = "
        "'{}' is accepted",
        setting.name, setting.value, setting.name, setting.value);
  }
  return std::string(setting.value);
}

Result<std::chrono::milliseconds> ParseStatementTimeout(std::string_view value) {
  auto invalid = [&](std::string_view why) {
    return Status(
        ErrorCode::kInvalidDocument,
        fmt::format("invalid value for parameter \"statement_timeout\": \"{}\": {}", value, why));
  };
  std::string text;
  for (char c : value) {
    if (!std::isspace(static_cast<unsigned char>(c))) text += c;
  }
  std::size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0 || text.find('.') != text.rfind('.')) {
    return invalid("expected a number of milliseconds, or one with a unit such as '30s'");
  }
  double number = std::strtod(text.substr(0, digits).c_str(), nullptr);
  const std::string unit = text.substr(digits);
  constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},        {"us", 0.001},  {"ms", 1},      {"s", 1000},
      {"min", 60000}, {"h", 3600000}, {"d", 86400000}};
  for (const auto& [unit_name, milliseconds] : kUnits) {
    if (unit != unit_name) continue;
    double total = number * milliseconds;
    if (total > 2147483647.0) return invalid("it is more than 2147483647 ms (INT_MAX)");
    // PostgreSQL rounds to whole milliseconds; a positive value stays at least 1 ms.
    auto rounded = static_cast<std::int64_t>(total + 0.5);
    return std::chrono::milliseconds(total > 0 && rounded == 0 ? 1 : rounded);
  }
  return invalid(
      "valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", "
      "and \"d\"");
}

std::vector<std::string> PgSearchPathSchemas(std::string_view value, std::string_view user) {
  std::vector<std::string> schemas;
  for (std::string item : ListItems(value)) {
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"') {
      item = item.substr(1, item.size() - 2);
    }
    if (item == "$user") item = std::string(user);
    if (!item.empty()) schemas.push_back(std::move(item));
  }
  return schemas;
}

Result<std::vector<std::pair<std::string, std::string>>> ParsePgStartupOptions(
    std::string_view options) {
  // Words at white space, a backslash keeping the character after it (PostgreSQL's
  // pg_split_opts).
  std::vector<std::string> words;
  std::string current;
  bool in_word = false;
  for (std::size_t i = 0; i < options.size(); ++i) {
    char c = options[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(current));
      current.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\' && i + 1 < options.size()) c = options[++i];
    current += c;
  }
  if (in_word) words.push_back(std::move(current));

  std::vector<std::pair<std::string, std::string>> settings;
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view word = words[i];
    std::string spelled;
    std::string assignment;
    if (word == "-c") {
      if (i + 1 >= words.size()) {
        return Status::Usage("startup option \"-c\" needs a setting, as -c name=value");
      }
      assignment = words[++i];
      spelled = "-c " + assignment;
    } else if (word.starts_with("--")) {
      assignment = std::string(word.substr(2));
      spelled = std::string(word);
    } else if (word.starts_with("-c")) {
      assignment = std::string(word.substr(2));
      spelled = std::string(word);
    } else {
      return Status::NotSupported(
          "startup option \"{}\" is not supported: the SQL port takes only settings, as "
          "-c name=value or --name=value",
          word);
    }
    std::size_t equals = assignment.find('=');
    std::string name = assignment.substr(0, equals);
    std::replace(name.begin(), name.end(), '-', '_');
    if (equals == std::string::npos || name.empty()) {
      return Status::Usage("startup option \"{}\" requires a value, as -c {}=value", spelled,
                           name.empty() ? "name" : name);
    }
    settings.emplace_back(std::move(name), assignment.substr(equals + 1));
  }
  return settings;
}

}  // namespace quanta::ports
