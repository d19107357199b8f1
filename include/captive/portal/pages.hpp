// The portal's pages (docs/templates.md): the built-in templates and
// message files, or those of `--templates DIR` where the directory has
// them, compiled once at start and again on reload. Each page is rendered
// from a plain struct of values into a std::string body; the language is
// chosen from the request's Accept-Language (RFC 9110 §12.5.4).
//
// A directory's files are read only if they are regular files inside it
// (a symlink may point within the directory, never out of it), at most
// http::kMaxTemplateBytes each. A template or message file with an error
// refuses the whole set: at start captived does not run, on reload the
// pages loaded before stay.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "captive/http/answer.hpp"
#include "captive/http/template.hpp"
#include "captive/util/result.hpp"

namespace captive::portal {

// The logo a templates directory may hold (logo.svg, .png, .jpg, .webp,
// .gif), served by the portal at its own path.
inline constexpr std::size_t kMaxLogoBytes = 256 * 1024;
struct Logo {
  std::string path;          // "/logo.png"
  std::string content_type;  // "image/png"
  std::string bytes;
};

// What every page shows.
struct Common {
  std::string site_name;
};

struct SignInValues {
  std::string notice;       // why the form is shown again (plain text)
  std::string token;        // the anti-forgery token of every form
  std::string url;          // the return URL (hidden field)
  std::string user;         // the user name given before (refused sign-in)
  std::string code;         // the voucher code given before (refused sign-in)
  // One form per enabled backend, in --auth order: a backend with a
  // template of its own (form-click.html, form-users.html,
  // form-voucher.html) is rendered from it; any other gets `html`.
  struct Form {
    std::string name;  // the --auth name
    std::string html;  // captived-built HTML for a backend without a template
  };
  std::vector<Form> forms;
};

struct OnlineValues {
  std::string until;  // "2026-12-01 10:00 UTC"; empty: "you can now use the Internet"
  std::string url;    // where to go on; empty: no link
  std::string token;  // the logout form's token; empty: no logout button
  std::string message;  // the backend's word (RADIUS Reply-Message); empty: none
};

// The error page's kinds: each has messages error.KIND.title and .text.
enum class ErrorKind {
  unknown_client,
  address_conflict,
  bad_request,
  wrong_host,
  not_found,
  not_allowed,
  sign_in_failed,
  logout_failed,
  logout_expired,
};

// The most text 511.html may render to (besides its links): the whole
// answer has 8 KiB (responder kMaxAnswerSize) with its headers and the
// sign-in link (twice; the responder shortens the original URL in it until
// the answer fits).
inline constexpr std::size_t kMax511Text = 4096;

class Pages {
 public:
  Pages() = default;  // empty: use builtin() or load()
  // The built-in pages only.
  static Result<std::shared_ptr<const Pages>> builtin();
  // `dir`'s pages, message files (messages/TAG.txt) and logo, the built-in
  // ones for what it lacks. Errors name the file and line.
  static Result<std::shared_ptr<const Pages>> load(const std::string& dir);

  // The index of the language for an Accept-Language value (0: English).
  std::size_t language(std::string_view accept_language) const;
  const std::vector<std::string>& languages() const { return tags_; }

  std::string sign_in(std::size_t lang, const Common& common, const SignInValues& values) const;
  std::string online(std::size_t lang, const Common& common, const OnlineValues& values) const;
  std::string blocked(std::size_t lang, const Common& common, std::string_view mac) const;
  std::string logged_out(std::size_t lang, const Common& common) const;
  // `notice`: an extra line above the text (may be empty).
  std::string error(std::size_t lang, const Common& common, ErrorKind kind, std::string_view notice = {}) const;
  // A message of language `lang` (English where it has none), as text.
  std::string message(std::size_t lang, std::string_view key) const;
  // The message only if language `lang` has it itself.
  std::optional<std::string> translated(std::size_t lang, std::string_view key) const;

  // The 511 body in every language, for the packet path; `site_name` is
  // rendered in. Fails (naming 511.html) if it cannot fit the answer.
  Result<std::shared_ptr<const http::AnswerBodies>> answer_bodies(const Common& common) const;

  const std::optional<Logo>& logo() const { return logo_; }

 private:
  enum Page { kSignIn, kOnline, kBlocked, kLoggedOut, kError, k511, kFormClick, kFormUsers, kFormVoucher, kPages };
  friend struct PagesBuilder;
  std::string render(Page page, std::size_t lang, const Common& common, std::vector<std::string_view> values,
                     std::string_view title) const;

  std::vector<std::string> tags_;
  std::vector<http::Catalog> catalogs_;  // [0] is English
  std::vector<http::Template> templates_;
  std::optional<Logo> logo_;
};

}  // namespace captive::portal
