// The users backend (--auth users): a name and password checked against
// the users file (users_file.hpp). The Argon2id verification runs on the
// WorkPool and the answer comes back through `home`; the table itself
// lives on the home thread (judge, reload), so no lock is needed.
// A name that is not in the file is verified against a dummy hash made
// with captived's --pwhash-ops/--pwhash-mem at load, so an unknown user
// and a wrong password take the same time and get the same words.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "captive/auth/backend.hpp"
#include "captive/auth/password.hpp"
#include "captive/auth/users_file.hpp"
#include "captive/auth/work_pool.hpp"

namespace captive::auth {

struct UsersStats {
  std::uint64_t accepted = 0;
  std::uint64_t wrong_password = 0;
  std::uint64_t unknown_user = 0;
  std::uint64_t busy = 0;  // the pool was full
  std::uint64_t reloads = 0;
  std::uint64_t reload_errors = 0;
};

class Users final : public Backend {
 public:
  using Job = std::function<void()>;
  // Reads `file` (an error refuses the start). `home` posts a job to the
  // event loop (empty: inline, for tests).
  static Result<std::unique_ptr<Users>> open(std::string file, const PwhashParams& dummy_params, WorkPool& pool,
                                             std::function<void(Job)> home);

  std::string_view name() const override { return "users"; }
  std::vector<Form> forms() const override;
  // Form fields `user` and `password`.
  void judge(const Attempt& attempt, Verdict done) override;
  // Reads the file again; on error the users loaded before stay.
  Result<void> reload() override;
  void counters(Counters& out) const override;

  std::size_t size() const { return users_->size(); }
  const UsersStats& stats() const { return stats_; }

 private:
  using Table = std::map<std::string, UserEntry, std::less<>>;
  Users(std::string file, WorkPool& pool, std::function<void(Job)> home) : file_(std::move(file)), pool_(pool), home_(std::move(home)) {}
  static Result<Table> load(const std::string& file);

  std::string file_;
  WorkPool& pool_;
  std::function<void(Job)> home_;
  std::shared_ptr<const Table> users_ = std::make_shared<Table>();
  std::string dummy_hash_;
  UsersStats stats_;
  // The answers still on their way back hold this: a Users destroyed
  // meanwhile (captived stopping) is not touched.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Reads a whole users file (at most kMaxUsersFileBytes). ENOENT and the
// like as errno errors naming the file.
Result<std::string> read_users_file(const std::string& file);

}  // namespace captive::auth
