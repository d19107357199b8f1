// captive-probe's verdicts: what each kind of portal answers to a probe URL
// (ours, openNDS, CoovaChilli, a rewriting proxy) and what RFC 8908 APIs say.
#include "captive/probe/classify.hpp"

#include <gtest/gtest.h>

namespace captive::probe {
namespace {

constexpr const char* kProbe = "http://connectivitycheck.gstatic.com/generate_204";

Verdict probe(int status, std::string body = {}, std::string location = {}, Expectation expected = {}) {
  return classify_probe(Answer{status, std::move(location), "text/html", std::move(body)}, expected, kProbe);
}

TEST(ClassifyProbe, ExpectedNoContentIsOpen) {
  Verdict v = probe(204);
  EXPECT_EQ(v.state, State::open);
  EXPECT_EQ(v.evidence, Evidence::expected);
  EXPECT_EQ(v.portal_url, "");
}

TEST(ClassifyProbe, Status511IsCaptiveWithTheMetaRefreshUrl) {
  // Our responder's 511 body (src/http/answer.cpp): the meta refresh and the
  // link carry the same signed URL, &amp; escaped.
  const std::string body =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Sign in to the network</title>\n"
      "<meta http-equiv=\"refresh\" content=\"0; url=http://192.0.2.1:8511/?url=http%3A%2F%2Fx%2F&amp;sig=0123456789abcdef\">"
      "</head>\n<body><p><a href=\"http://192.0.2.1:8511/?url=http%3A%2F%2Fx%2F&amp;sig=0123456789abcdef\">"
      "Continue</a></p></body></html>\n";
  Verdict v = probe(511, body);
  EXPECT_EQ(v.state, State::captive);
  EXPECT_EQ(v.evidence, Evidence::status_511);
  EXPECT_EQ(v.portal_url, "http://192.0.2.1:8511/?url=http%3A%2F%2Fx%2F&sig=0123456789abcdef");
}

TEST(ClassifyProbe, Status511WithOnlyALink) {
  Verdict v = probe(511, "<html><body><A HREF='/login?x=1'>sign in</A></body></html>");
  EXPECT_EQ(v.state, State::captive);
  EXPECT_EQ(v.portal_url, "http://connectivitycheck.gstatic.com/login?x=1");
}

TEST(ClassifyProbe, Status511WithoutAnyLinkIsStillCaptive) {
  Verdict v = probe(511, "");
  EXPECT_EQ(v.state, State::captive);
  EXPECT_EQ(v.portal_url, "");
}

TEST(ClassifyProbe, OpenNdsTemporaryRedirectReportsLocation) {
  Verdict v = probe(307, "", "http://192.168.8.1:2050/opennds_preauth/?fas=abc");
  EXPECT_EQ(v.state, State::captive);
  EXPECT_EQ(v.evidence, Evidence::redirect);
  EXPECT_EQ(v.portal_url, "http://192.168.8.1:2050/opennds_preauth/?fas=abc");
}

TEST(ClassifyProbe, CoovaChilliFoundReportsLocation) {
  Verdict v = probe(302, "<html>moved</html>", "http://10.1.0.1:3990/prelogin?res=notyet&uamip=10.1.0.1");
  EXPECT_EQ(v.state, State::captive);
  EXPECT_EQ(v.portal_url, "http://10.1.0.1:3990/prelogin?res=notyet&uamip=10.1.0.1");
}

TEST(ClassifyProbe, EveryRedirectStatusIsAPortalOnAProbeUrl) {
  for (int status : {301, 302, 303, 307, 308}) {
    EXPECT_EQ(probe(status, "", "https://portal.example/").state, State::captive) << status;
  }
}

TEST(ClassifyProbe, RelativeLocationResolvesAgainstTheProbeUrl) {
  EXPECT_EQ(probe(302, "", "/portal").portal_url, "http://connectivitycheck.gstatic.com/portal");
  EXPECT_EQ(probe(302, "", "//portal.example/x").portal_url, "http://portal.example/x");
}

TEST(ClassifyProbe, RewrittenOkWithMetaRefreshIsCaptive) {
  Verdict v = probe(200, "<html><head><META HTTP-EQUIV='Refresh' CONTENT='1;URL=http://portal.example/login'>"
                         "</head></html>");
  EXPECT_EQ(v.state, State::captive);
  EXPECT_EQ(v.evidence, Evidence::rewritten);
  EXPECT_EQ(v.portal_url, "http://portal.example/login");
}

TEST(ClassifyProbe, OkWithTinyBodyWhereNoContentExpectedIsCaptive) {
  // Android: a 200-399 on generate_204 is a portal, whatever the body.
  EXPECT_EQ(probe(200, "ok").state, State::captive);
  EXPECT_EQ(probe(200, "").state, State::captive);
}

TEST(ClassifyProbe, ExpectedBodyMustMatchExactly) {
  Expectation firefox{200, std::string("success\n")};
  EXPECT_EQ(probe(200, "success\n", {}, firefox).state, State::open);
  Verdict rewritten = probe(200, "<a href=\"http://portal.example/\">success</a>\n", {}, firefox);
  EXPECT_EQ(rewritten.state, State::captive);
  EXPECT_EQ(rewritten.portal_url, "http://portal.example/");
  Expectation apple{200, std::string("<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>\n")};
  EXPECT_EQ(probe(200, "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>", {}, apple).state,
            State::captive);
}

TEST(ClassifyProbe, ErrorStatusIsNoInternetNotAPortal) {
  for (int status : {400, 403, 404, 500, 502, 503}) {
    Verdict v = probe(status, "<a href=\"http://x/\">x</a>");
    EXPECT_EQ(v.state, State::offline) << status;
    EXPECT_EQ(v.evidence, Evidence::unexpected) << status;
  }
}

TEST(LinkInHtml, PrefersTheMetaRefreshOverLinks) {
  EXPECT_EQ(link_in_html("<a href=\"/a\">a</a><meta http-equiv=refresh content=\"0;url=/b\">"), "/b");
}

TEST(LinkInHtml, IgnoresOtherMetaAndTagsThatOnlyStartWithA) {
  EXPECT_EQ(link_in_html("<meta name=\"refresh\" content=\"0;url=/x\"><abbr href=\"/y\">"
                         "<a class=\"c\" href = '/z'>z</a>"),
            "/z");
  EXPECT_EQ(link_in_html("<p>no link here</p>"), "");
  EXPECT_EQ(link_in_html("<a href=\"\">empty</a><a href=\"/second\">"), "/second");
}

TEST(LinkInHtml, UnclosedTagsOfAHostileBodyFindNothing) {
  // 256 KiB (the body limit) of "<a " and "<meta " with no '>': each tag is
  // looked into at most 2 KiB far (quadratic otherwise).
  std::string body;
  while (body.size() < 256 * 1024) body += "<a <meta http-equiv=refresh ";
  EXPECT_EQ(link_in_html(body), "");
  EXPECT_EQ(probe(511, body).portal_url, "");
}

TEST(LinkInHtml, QuotedUrlInsideContent) {
  EXPECT_EQ(link_in_html("<meta http-equiv=\"refresh\" content=\"0; URL='http://p.example/?a=1&amp;b=2'\">"),
            "http://p.example/?a=1&b=2");
}

TEST(ResolveUrl, Forms) {
  EXPECT_EQ(resolve_url("http://h:8/d/p?q", "x"), "http://h:8/d/x");
  EXPECT_EQ(resolve_url("http://h:8/d/p?q", "?r"), "http://h:8/d/p?r");
  EXPECT_EQ(resolve_url("http://h", "/x"), "http://h/x");
  EXPECT_EQ(resolve_url("http://h/", "HTTPS://other/"), "HTTPS://other/");
  EXPECT_EQ(resolve_url("http://h/", ""), "");
}

Answer api(std::string body, std::string type = "application/captive+json", int status = 200) {
  return Answer{status, {}, std::move(type), std::move(body)};
}

TEST(ClassifyApi, CaptiveTrueGivesTheUserPortalUrl) {
  auto v = classify_api(api(R"({"captive": true, "user-portal-url": "https://portal.example/sign-in"})"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state, State::captive);
  EXPECT_EQ(v->evidence, Evidence::api);
  EXPECT_EQ(v->portal_url, "https://portal.example/sign-in");
}

TEST(ClassifyApi, CaptiveFalseIsOpen) {
  auto v = classify_api(api(R"({"captive": false, "seconds-remaining": 3600, "can-extend-session": true})",
                            "application/captive+json; charset=utf-8"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->state, State::open);
}

TEST(ClassifyApi, NotAnApiAnswerFallsBackToTheProbe) {
  EXPECT_FALSE(classify_api(api(R"({"captive": true})", "text/html")));          // a portal page instead
  EXPECT_FALSE(classify_api(api(R"({"captive": true})", "application/json")));   // RFC 8908 §5 type only
  EXPECT_FALSE(classify_api(api(R"({"captive": "yes"})")));                      // not a boolean
  EXPECT_FALSE(classify_api(api(R"({"user-portal-url": "https://p/"})")));       // captive is required
  EXPECT_FALSE(classify_api(api("{not json")));
  EXPECT_FALSE(classify_api(api("[true]")));
  EXPECT_FALSE(classify_api(api(R"({"captive": true})", "application/captive+json", 511)));
}

}  // namespace
}  // namespace captive::probe
