// captivectl's side of the vouchers: request lines and the printable sheet.
// Linked into captivectl, which links nothing of the daemon.
#include <boost/json.hpp>

#include "captive/control/vouchers.hpp"

namespace captive::control {
namespace json = boost::json;

namespace {

std::string with_code(std::string_view cmd, std::string_view code) {
  json::object request;
  request["cmd"] = cmd;
  request["code"] = code;
  return json::serialize(request);
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string plural(std::uint64_t n, std::string_view unit) {
  return std::to_string(n) + " " + std::string(unit) + (n == 1 ? "" : "s");
}

}  // namespace

std::string make_voucher_create_request(const VoucherCreate& create) {
  json::object request;
  request["cmd"] = "voucher_create";
  request["count"] = create.count;
  request["seconds"] = create.seconds;
  if (create.devices) request["devices"] = *create.devices;
  if (create.quota_bytes) request["quota_bytes"] = *create.quota_bytes;
  if (create.rate_down) request["rate_down"] = *create.rate_down;
  if (create.rate_up) request["rate_up"] = *create.rate_up;
  return json::serialize(request);
}

std::string make_voucher_list_request() { return R"({"cmd":"voucher_list"})"; }
std::string make_voucher_show_request(std::string_view code) { return with_code("voucher_show", code); }
std::string make_voucher_revoke_request(std::string_view code) { return with_code("voucher_revoke", code); }

std::string human_duration(std::uint64_t seconds) {
  const std::uint64_t days = seconds / 86400, hours = seconds % 86400 / 3600, minutes = seconds % 3600 / 60,
                      rest = seconds % 60;
  std::string out;
  auto add = [&](std::uint64_t n, std::string_view unit) {
    if (n == 0) return;
    out += (out.empty() ? "" : " ") + plural(n, unit);
  };
  // The two largest parts say enough on a card ("1 day 12 hours").
  if (days) {
    add(days, "day");
    add(hours, "hour");
  } else if (hours) {
    add(hours, "hour");
    add(minutes, "minute");
  } else if (minutes) {
    add(minutes, "minute");
    add(rest, "second");
  } else {
    add(rest, "second");
  }
  return out.empty() ? "0 seconds" : out;
}

std::string voucher_sheet_html(const std::vector<VoucherCard>& cards, std::string_view network) {
  // A4 with 10 mm margins leaves 190 x 277 mm: 3 columns of 63 mm and 8
  // rows of 34 mm (24 cards a page), about a business card each. Cut along
  // the dashed borders. System fonts only: the sheet is printed from a
  // router's admin, maybe offline.
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Wi-Fi vouchers: " + html_escape(network) + "</title>\n"
      "<style>\n"
      "@page { size: A4; margin: 10mm; }\n"
      "* { box-sizing: border-box; }\n"
      "html, body { margin: 0; padding: 0; background: #fff; color: #111; }\n"
      "body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; }\n"
      ".sheet { width: 190mm; display: grid; grid-template-columns: repeat(3, 63mm); grid-auto-rows: 34mm;"
      " gap: 0; margin: 0 auto; }\n"
      ".card { border: 0.3mm dashed #888; padding: 3mm 4mm; display: flex; flex-direction: column;"
      " justify-content: space-between; overflow: hidden; break-inside: avoid; page-break-inside: avoid; }\n"
      ".network { font-size: 9pt; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }\n"
      ".label { font-size: 7pt; color: #555; text-transform: uppercase; letter-spacing: 0.08em; }\n"
      ".code { font-family: 'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace; font-size: 15pt;"
      " font-weight: 700; letter-spacing: 0.06em; white-space: nowrap; }\n"
      ".terms { font-size: 8pt; color: #333; line-height: 1.25; }\n"
      ".extras { font-size: 7pt; color: #555; }\n"
      "@media screen { body { padding: 10mm 0; background: #eee; } .sheet { background: #fff; } }\n"
      "</style>\n</head>\n<body>\n<main class=\"sheet\">\n";
  const std::string name = html_escape(network.empty() ? std::string_view("Wi-Fi") : network);
  for (const auto& card : cards) {
    html += "<section class=\"card\">\n<div class=\"network\">" + name +
            "</div>\n<div><div class=\"label\">Voucher code</div>\n<div class=\"code\">" + html_escape(card.code) +
            "</div></div>\n<div class=\"terms\"><strong>" + html_escape(card.duration) + "</strong> from first use";
    // The extras may take a second line: the card has the room, a cut-off
    // quota does not help anyone.
    if (!card.extras.empty()) html += "<br><span class=\"extras\">" + html_escape(card.extras) + "</span>";
    html += "</div>\n</section>\n";
  }
  html += "</main>\n</body>\n</html>\n";
  return html;
}

}  // namespace captive::control
