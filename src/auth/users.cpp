#include "captive/auth/users.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "captive/http/text.hpp"
#include "captive/util/log.hpp"
#include "captive/util/file.hpp"

namespace captive::auth {
namespace {

constexpr const char* kWrong = "Wrong user name or password.";

}  // namespace

Result<std::string> read_users_file(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return errno_error(file);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(0, file + ": not a regular file");
  }
  // The hashes are offline-guessable by whoever reads them.
  if ((st.st_mode & S_IROTH) != 0)
    LOG_WARN("users file %s is readable by everybody: chmod 600 it (its hashes can be guessed offline)", file.c_str());
  auto text = util::read_rest(fd, file, kMaxUsersFileBytes);
  ::close(fd);
  return text;
}

Result<Users::Table> Users::load(const std::string& file) {
  auto text = read_users_file(file);
  if (!text) return text.error();
  auto entries = parse_users(*text, file);
  if (!entries) return entries.error();
  Table table;
  for (auto& e : *entries) {
    std::string name = e.name;
    table.emplace(std::move(name), std::move(e));
  }
  return table;
}

Result<std::unique_ptr<Users>> Users::open(std::string file, const PwhashParams& dummy_params, WorkPool& pool,
                                           std::function<void(Job)> home) {
  std::unique_ptr<Users> users(new Users(std::move(file), pool, std::move(home)));
  auto table = load(users->file_);
  if (!table) return Error{table.error().code, "--users: " + table.error().what};
  users->users_ = std::make_shared<const Table>(std::move(*table));
  // A password nobody knows (random bytes, then forgotten).
  unsigned char secret[32];
  if (sodium_init() < 0) return make_error(ENOSYS, "libsodium could not be initialised");
  randombytes_buf(secret, sizeof secret);
  char hex[sizeof secret * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, secret, sizeof secret);
  auto dummy = hash_password(hex, dummy_params);
  sodium_memzero(secret, sizeof secret);
  sodium_memzero(hex, sizeof hex);
  if (!dummy) return Error{dummy.error().code, "--users: dummy hash: " + dummy.error().what};
  users->dummy_hash_ = std::move(*dummy);
  LOG_INFO("users: %zu from %s", users->users_->size(), users->file_.c_str());
  return users;
}

std::vector<Form> Users::forms() const {
  return {Form{"users",
               "<p><label>User name<br><input name=\"user\" autocomplete=\"username\" autocapitalize=\"none\" "
               "maxlength=\"64\" required></label></p>\n"
               "<p><label>Password<br><input type=\"password\" name=\"password\" autocomplete=\"current-password\" "
               "maxlength=\"256\" required></label></p>",
               "Sign in"}};
}

void Users::judge(const Attempt& attempt, Verdict done) {
  std::string name = http::form_value(attempt.form, "user").value_or("");
  std::string password = http::form_value(attempt.form, "password").value_or("");
  // What the pool needs, copied: the table may be reloaded meanwhile.
  const UserEntry* entry = nullptr;
  if (valid_user_name(name))
    if (auto it = users_->find(name); it != users_->end()) entry = &it->second;
  struct Work {
    std::string hash;
    std::string password;
    bool known;
  };
  auto work = std::make_shared<Work>(Work{entry ? entry->hash : dummy_hash_, std::move(password), entry != nullptr});
  // The decision if the password is right, made now (home thread).
  Decision yes = Decision::accept("user", name);
  if (entry) {
    yes.duration = entry->duration;
    yes.limits = entry->limits;
  }
  auto finish = [this, alive = std::weak_ptr<bool>(alive_), yes = std::move(yes), done](bool right, bool known) mutable {
    if (alive.expired()) return;
    if (right && known) {
      ++stats_.accepted;
      return done(std::move(yes));
    }
    ++(known ? stats_.wrong_password : stats_.unknown_user);
    Decision wrong = Decision::refuse(Decision::Outcome::wrong_credentials, kWrong);
    wrong.reason_key = "reason.wrong_password";
    done(std::move(wrong));
  };
  const bool posted = pool_.try_post([work, finish, home = home_]() mutable {
    // An unknown user is verified too (against the dummy): the same time.
    const bool right = verify_password(work->hash, work->password) && work->known;
    sodium_memzero(work->password.data(), work->password.size());
    if (home) home([finish, right, known = work->known]() mutable { finish(right, known); });
    else finish(right, work->known);
  });
  if (!posted) {
    ++stats_.busy;
    sodium_memzero(work->password.data(), work->password.size());
    Decision busy = Decision::refuse(Decision::Outcome::busy, "Many people are signing in right now. Please try again in a moment.");
    busy.retry_after = std::chrono::seconds(2);
    busy.reason_key = "signin.busy";
    done(std::move(busy));
  }
}

Result<void> Users::reload() {
  auto table = load(file_);
  if (!table) {
    ++stats_.reload_errors;
    LOG_ERROR("users: %s; keeping the %zu users loaded before", table.error().message().c_str(), users_->size());
    return table.error();
  }
  users_ = std::make_shared<const Table>(std::move(*table));
  ++stats_.reloads;
  LOG_INFO("users: %zu from %s", users_->size(), file_.c_str());
  return {};
}

void Users::counters(Counters& out) const {
  out.emplace_back("auth.users.accepted", stats_.accepted);
  out.emplace_back("auth.users.wrong_password", stats_.wrong_password);
  out.emplace_back("auth.users.unknown_user", stats_.unknown_user);
  out.emplace_back("auth.users.busy", stats_.busy);
  out.emplace_back("auth.users.reloads", stats_.reloads);
  out.emplace_back("auth.users.reload_errors", stats_.reload_errors);
}

}  // namespace captive::auth
