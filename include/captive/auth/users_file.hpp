// The users file (--users FILE, docs/auth.md): one user a line,
//
//   NAME:HASH[:OPTIONS]
//
// NAME is 1 to 64 of A-Z a-z 0-9 . _ @ + -; HASH is a libsodium
// crypto_pwhash_str string (Argon2id: "$argon2id$v=19$m=4096,t=2,p=1$..."),
// which carries its own parameters, so verification needs nothing else;
// OPTIONS, comma-separated, set this user's sessions apart from captived's
// defaults: time=DURATION (session time), idle=DURATION, quota=BYTES,
// rate-down=RATE, rate-up=RATE, in captived's units (90s/15m/2h/7d,
// 500M/2G, 2mbit). '#' starts a comment line; blank lines are ignored.
// Pure text in, text out: captivectl edits the file with the same code
// captived reads it with, and a fuzz target runs the parser.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "captive/session/limits.hpp"
#include "captive/util/result.hpp"

namespace captive::auth {

// A users file is at most this big (some 60 000 users): anything larger is
// the wrong file.
inline constexpr std::size_t kMaxUsersFileBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxUserName = 64;

struct UserEntry {
  std::string name;
  std::string hash;
  std::string options;                          // as written (kept by captivectl passwd)
  std::optional<std::chrono::seconds> duration;  // time=
  session::Limits limits;                       // idle=, quota=, rate-down=, rate-up=
};

// A valid NAME (also what captivectl user add accepts).
bool valid_user_name(std::string_view name);
// A crypto_pwhash_str string in shape (Argon2id or Argon2i, shorter than
// crypto_pwhash_STRBYTES, nothing a line could break on); libsodium checks
// the rest when it verifies.
bool plausible_hash(std::string_view hash);
// OPTIONS into `entry` (duration, limits); errors name the option.
Result<void> parse_user_options(std::string_view options, UserEntry& entry);

// Every user of `text`. Errors read "FILE:LINE: what" (`file_name` only
// names the file); a name given twice is an error.
Result<std::vector<UserEntry>> parse_users(std::string_view text, std::string_view file_name);

// The line of `entry` (no newline).
std::string format_user(const UserEntry& entry);
// `text` with the line of entry.name replaced by `entry` (or `entry`
// appended); comments and other lines are kept as they are.
std::string put_user(std::string_view text, const UserEntry& entry);
// `text` without the line of `name`; nullopt if there is none.
std::optional<std::string> remove_user(std::string_view text, std::string_view name);

}  // namespace captive::auth
