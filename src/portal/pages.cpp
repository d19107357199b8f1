#include "captive/portal/pages.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "captive/util/log.hpp"
#include "portal/default_pages.hpp"

namespace captive::portal {
namespace {

using http::Catalog;
using http::Schema;
using http::Template;

// The variables every page has, first in each schema, in this order.
enum Shared : std::size_t { kLang, kSiteName, kLogoUrl, kTitle, kShared };
const std::vector<std::string> kSharedNames = {"lang", "site_name", "logo_url", "title"};

struct PageSpec {
  std::string_view file;
  std::string_view title_key;  // the message of the `title` variable
  std::vector<std::string> text;
  std::vector<std::string> html;
};

// Indexed by Pages::Page. Each page's own variables follow kSharedNames.
const std::array<PageSpec, 9>& page_specs() {
  static const std::array<PageSpec, 9> specs = {{
      {"signin.html", "signin.title", {"notice"}, {"forms"}},
      {"online.html", "online.title", {"until", "url", "token", "message"}, {}},
      {"blocked.html", "blocked.title", {"mac"}, {}},
      {"logged-out.html", "loggedout.title", {}, {}},
      {"error.html", "", {"message", "notice", "sign_in_link"}, {}},
      {"511.html", "511.heading", {}, {"link"}},
      {"form-click.html", "signin.title", {"token", "url"}, {}},
      {"form-users.html", "signin.title", {"token", "url", "user"}, {}},
      {"form-voucher.html", "signin.title", {"token", "url", "code"}, {}},
  }};
  return specs;
}

Schema schema_of(const PageSpec& spec) {
  Schema s;
  s.text = kSharedNames;
  s.text.insert(s.text.end(), spec.text.begin(), spec.text.end());
  s.html = spec.html;
  return s;
}

std::string_view builtin_template(std::string_view name) {
  for (const auto& f : builtin::kTemplates)
    if (f.name == name) return f.text;
  return {};
}

const char* error_key(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::unknown_client: return "error.unknown_client";
    case ErrorKind::address_conflict: return "error.address_conflict";
    case ErrorKind::bad_request: return "error.bad_request";
    case ErrorKind::wrong_host: return "error.wrong_host";
    case ErrorKind::not_found: return "error.not_found";
    case ErrorKind::not_allowed: return "error.not_allowed";
    case ErrorKind::sign_in_failed: return "error.sign_in_failed";
    case ErrorKind::logout_failed: return "error.logout_failed";
    case ErrorKind::logout_expired: return "error.logout_expired";
  }
  return "error.not_found";
}

// A file of the templates directory: read if it is a regular file whose
// real path is inside the directory's (a symlink out of it, or a name
// with "..", is refused). nullopt: no such file.
class Directory {
 public:
  static Result<Directory> open(const std::string& dir) {
    char real[PATH_MAX];
    if (::realpath(dir.c_str(), real) == nullptr) return errno_error("--templates " + dir);
    struct stat st{};
    if (::stat(real, &st) != 0) return errno_error("--templates " + dir);
    if (!S_ISDIR(st.st_mode)) return make_error(ENOTDIR, "--templates " + dir);
    return Directory(dir, real);
  }

  Result<std::optional<std::string>> read(const std::string& name, std::size_t max) const {
    const std::string path = given_ + "/" + name;
    if (name.find("..") != std::string::npos || name.front() == '/')
      return make_error(EACCES, path + ": not a file of the templates directory");
    char real[PATH_MAX];
    if (::realpath(path.c_str(), real) == nullptr) {
      if (errno == ENOENT) return std::optional<std::string>();
      return errno_error(path);
    }
    const std::string_view r(real);
    if (!(r.size() > real_.size() && r.starts_with(real_) && r[real_.size()] == '/'))
      return make_error(EACCES, path + ": a link out of the templates directory (refused)");
    const int fd = ::open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno_error(path);
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return make_error(EINVAL, path + ": not a regular file");
    }
    if (static_cast<std::size_t>(st.st_size) > max) {
      ::close(fd);
      return make_error(EFBIG, path + ": larger than " + std::to_string(max) + " bytes");
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(got);
    return std::optional<std::string>(std::move(text));
  }

  // The names of messages/*.txt.
  std::vector<std::string> message_files() const {
    std::vector<std::string> names;
    DIR* d = ::opendir((given_ + "/messages").c_str());
    if (d == nullptr) return names;
    while (const dirent* e = ::readdir(d)) {
      const std::string_view n(e->d_name);
      if (n.size() > 4 && n.ends_with(".txt") && n.front() != '.') names.emplace_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  const std::string& given() const { return given_; }

 private:
  Directory(std::string given, std::string real) : given_(std::move(given)), real_(std::move(real)) {}
  std::string given_;
  std::string real_;
};

}  // namespace

// Built here, where Pages' privates are at hand.
struct PagesBuilder {
  static Result<std::shared_ptr<const Pages>> build(const Directory* dir) {
    auto pages = std::make_shared<Pages>();
    // Message files: the built-in ones, each merged with the directory's
    // file of its language (its keys win); the directory may add languages.
    std::vector<Catalog> catalogs;
    for (const auto& f : builtin::kMessages) {
      auto c = http::parse_catalog(f.text, f.name, "built-in messages/" + std::string(f.name) + ".txt");
      if (!c) return c.error();
      catalogs.push_back(std::move(*c));
    }
    if (dir) {
      for (const auto& name : dir->message_files()) {
        const std::string file = "messages/" + name;
        auto text = dir->read(file, http::kMaxTemplateBytes);
        if (!text) return text.error();
        if (!*text) continue;
        auto c = http::parse_catalog(**text, name.substr(0, name.size() - 4), dir->given() + "/" + file);
        if (!c) return c.error();
        auto same = std::find_if(catalogs.begin(), catalogs.end(), [&](const Catalog& k) { return k.tag == c->tag; });
        if (same == catalogs.end()) {
          catalogs.push_back(std::move(*c));
        } else {
          for (auto& [key, value] : c->messages) same->messages.insert_or_assign(key, value);
        }
      }
    }
    // Every key of another language must be one English has: a typo would
    // otherwise go unnoticed (English would be shown for the real key).
    for (std::size_t i = 1; i < catalogs.size(); ++i)
      for (const auto& [key, value] : catalogs[i].messages)
        if (!catalogs[0].find(key))
          return make_error(0, "messages/" + catalogs[i].tag + ".txt: " + key + ": no such key in English (en.txt)");
    std::sort(catalogs.begin() + 1, catalogs.end(), [](const Catalog& a, const Catalog& b) { return a.tag < b.tag; });

    // A template's text: the directory's file if it has one, else built in.
    std::string failure;
    auto source = [&](std::string_view name) -> std::optional<std::string> {
      if (dir) {
        auto text = dir->read(std::string(name), http::kMaxTemplateBytes);
        if (!text) {
          failure = text.error().message();
          return std::nullopt;
        }
        if (*text) return std::move(**text);
      }
      const auto built = builtin_template(name);
      if (built.empty()) return std::nullopt;
      return std::string(built);
    };
    for (const auto& spec : page_specs()) {
      auto text = source(spec.file);
      if (!text) return make_error(0, failure.empty() ? std::string(spec.file) + ": missing" : failure);
      const std::string file_name = dir && builtin_template(spec.file) != *text
                                        ? dir->given() + "/" + std::string(spec.file)
                                        : std::string(spec.file);
      auto compiled = Template::compile(*text, file_name, schema_of(spec), catalogs[0], source);
      if (!compiled) return failure.empty() ? compiled.error() : make_error(0, failure);
      pages->templates_.push_back(std::move(*compiled));
    }
    for (const auto& c : catalogs) pages->tags_.push_back(c.tag);
    pages->catalogs_ = std::move(catalogs);

    if (dir) {
      static const std::pair<std::string_view, std::string_view> kLogos[] = {
          {"logo.svg", "image/svg+xml"}, {"logo.png", "image/png"}, {"logo.jpg", "image/jpeg"},
          {"logo.webp", "image/webp"},   {"logo.gif", "image/gif"}};
      for (const auto& [name, type] : kLogos) {
        auto bytes = dir->read(std::string(name), kMaxLogoBytes);
        if (!bytes) return bytes.error();
        if (!*bytes) continue;
        pages->logo_ = Logo{"/" + std::string(name), std::string(type), std::move(**bytes)};
        break;
      }
    }
    return std::shared_ptr<const Pages>(std::move(pages));
  }
};

Result<std::shared_ptr<const Pages>> Pages::builtin() { return PagesBuilder::build(nullptr); }

Result<std::shared_ptr<const Pages>> Pages::load(const std::string& dir) {
  auto d = Directory::open(dir);
  if (!d) return d.error();
  auto pages = PagesBuilder::build(&*d);
  if (pages) {
    std::string langs;
    for (const auto& t : (*pages)->languages()) langs += (langs.empty() ? "" : " ") + t;
    const std::string logo = (*pages)->logo() ? "; logo " + (*pages)->logo()->path : "";
    LOG_INFO("templates: %s (languages: %s%s)", dir.c_str(), langs.c_str(), logo.c_str());
  }
  return pages;
}

std::size_t Pages::language(std::string_view accept_language) const {
  std::array<std::string_view, 64> views;
  const std::size_t n = std::min(views.size(), tags_.size());
  for (std::size_t i = 0; i < n; ++i) views[i] = tags_[i];
  return http::pick_language(accept_language, std::span(views.data(), n));
}

std::string Pages::message(std::size_t lang, std::string_view key) const {
  if (catalogs_.empty()) return std::string(key);
  const Catalog& c = catalogs_[lang < catalogs_.size() ? lang : 0];
  if (const auto* text = c.find(key)) return *text;
  if (const auto* text = catalogs_[0].find(key)) return *text;
  return std::string(key);
}

std::optional<std::string> Pages::translated(std::size_t lang, std::string_view key) const {
  if (lang >= catalogs_.size()) return std::nullopt;
  if (const auto* text = catalogs_[lang].find(key)) return *text;
  return std::nullopt;
}

std::string Pages::render(Page page, std::size_t lang, const Common& common, std::vector<std::string_view> values,
                          std::string_view title) const {
  // Only an empty Pages (the built-in ones failed to compile, which
  // unit-portal-pages rules out) has nothing to render.
  if (templates_.size() != kPages || catalogs_.empty()) return "<!DOCTYPE html>\n<p>Sign in</p>\n";
  if (lang >= catalogs_.size()) lang = 0;
  const std::string title_text = title.empty() ? message(lang, page_specs()[page].title_key) : std::string(title);
  const std::string logo_url = logo_ ? logo_->path : std::string();
  std::vector<std::string_view> all = {tags_[lang], common.site_name, logo_url, title_text};
  all.insert(all.end(), values.begin(), values.end());
  return templates_[page].render(catalogs_[lang], catalogs_[0], all);
}

std::string Pages::sign_in(std::size_t lang, const Common& common, const SignInValues& v) const {
  std::string forms;
  for (const auto& f : v.forms) {
    if (f.name == "click")
      forms += render(kFormClick, lang, common, {v.token, v.url}, {});
    else if (f.name == "users")
      forms += render(kFormUsers, lang, common, {v.token, v.url, v.user}, {});
    else if (f.name == "voucher")
      forms += render(kFormVoucher, lang, common, {v.token, v.url, v.code}, {});
    else
      forms += f.html;
  }
  return render(kSignIn, lang, common, {v.notice, forms}, {});
}

std::string Pages::online(std::size_t lang, const Common& common, const OnlineValues& v) const {
  return render(kOnline, lang, common, {v.until, v.url, v.token, v.message}, {});
}

std::string Pages::blocked(std::size_t lang, const Common& common, std::string_view mac) const {
  return render(kBlocked, lang, common, {mac}, {});
}

std::string Pages::logged_out(std::size_t lang, const Common& common) const {
  return render(kLoggedOut, lang, common, {}, {});
}

std::string Pages::error(std::size_t lang, const Common& common, ErrorKind kind, std::string_view notice) const {
  const std::string key = error_key(kind);
  const std::string title = message(lang, key + ".title");
  const std::string text = message(lang, key + ".text");
  // Where signing in is the way on (not after a failed logout of a
  // signed-in device: its page has the button).
  const bool link = kind != ErrorKind::bad_request;
  return render(kError, lang, common, {text, notice, link ? "1" : ""}, title);
}

Result<std::shared_ptr<const http::AnswerBodies>> Pages::answer_bodies(const Common& common) const {
  if (templates_.size() != kPages) return make_error(0, "no templates");
  std::vector<http::Template::Flat> bodies;
  static constexpr std::string_view kDynamic[] = {"link"};
  for (std::size_t lang = 0; lang < catalogs_.size(); ++lang) {
    const std::string title = message(lang, "511.heading");
    std::vector<std::string_view> values = {tags_[lang], common.site_name, {}, title, {}};
    auto flat = templates_[k511].flatten(catalogs_[lang], catalogs_[0], values, kDynamic);
    // The whole answer has 8 KiB (responder kMaxAnswerSize), headers and
    // two links of up to 2 KiB each among them: the body's own text may
    // have half of it.
    std::size_t size = 0;
    for (const auto& s : flat.segments) size += s.literal.size();
    if (size > kMax511Text)
      return make_error(0, "511.html (" + tags_[lang] + "): " + std::to_string(size) + " bytes of text; at most " +
                               std::to_string(kMax511Text) + " fit the 511 answer");
    bodies.push_back(std::move(flat));
  }
  return std::make_shared<const http::AnswerBodies>(tags_, std::move(bodies));
}

}  // namespace captive::portal
