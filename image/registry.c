#include "registry.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "config.h"
#include "oci-json.h"
#include "reference.h"
#include "util.h"

#define URL_MAX 8192
#define ACCEPT_MANIFESTS                                                                           \
	"Accept: " OCI_MT_MANIFEST ", " OCI_MT_INDEX ", " OCI_MT_DOCKER_MANIFEST                   \
	", " OCI_MT_DOCKER_LIST

struct registry {
	CURL *curl;
	char domain[IMAGE_REF_DOMAIN_MAX];    /* as the user wrote it: messages, credentials */
	char base[IMAGE_REF_DOMAIN_MAX + 32]; /* "https://registry-1.docker.io" */
	char path[IMAGE_REF_PATH_MAX];
	char *authorization; /* "Bearer ..." or "Basic ...": for base's origin only */
	bool have_creds;
	struct registry_credentials creds;
	char errbuf[CURL_ERROR_SIZE];
};

/* What came back from one request (one hop of a redirect chain). */
struct response {
	CURL *curl;
	long status;
	char content_type[REGISTRY_CONTENT_TYPE_MAX];
	char digest[72];
	char location_seen; /* a Location header came */
	struct registry_challenge challenge;
	bool has_challenge;
	struct error challenge_error;
	/* 200 goes to the sink if there is one, else into body (up to max);
	 * anything else into body, up to REGISTRY_ERROR_BODY_MAX. */
	registry_sink_fn sink;
	void *userdata;
	struct error *sink_error;
	uint64_t sink_max, sink_n;
	bool sink_failed, too_big, truncated;
	char *body;
	size_t len, max;
};

static void response_reset(struct response *res)
{
	free(res->body);
	res->body = NULL;
	res->len = 0;
	res->status = 0;
	res->content_type[0] = res->digest[0] = '\0';
	res->has_challenge = false;
	res->truncated = res->too_big = false;
	error_clear(&res->challenge_error);
}

/* Trims a header value in place (leading blanks, trailing CRLF and blanks). */
static char *header_value(char *line, size_t name_len)
{
	char *v = line + name_len, *end = v + strlen(v);

	while (*v == ' ' || *v == '\t')
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return v;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct response *res = userdata;
	size_t n = size * nmemb;
	_cleanup_free_ char *line = NULL;
	char *v;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		response_reset(res); /* a new response (after a 100 Continue) */
		return n;
	}
	line = xmalloc(n + 1);
	memcpy(line, data, n);
	line[n] = '\0';
	if (strncasecmp(line, "Content-Type:", 13) == 0) {
		v = header_value(line, 13);
		if (strlen(v) < sizeof(res->content_type))
			strcpy(res->content_type, v);
	} else if (strncasecmp(line, "Docker-Content-Digest:", 22) == 0) {
		v = header_value(line, 22);
		if (image_digest_valid(v))
			strcpy(res->digest, v);
	} else if (strncasecmp(line, "WWW-Authenticate:", 17) == 0) {
		struct registry_challenge c;
		struct error e = {0};
		v = header_value(line, 17);
		if (registry_challenge_parse(v, strlen(v), &c, &e) < 0) {
			if (!res->challenge_error.code)
				res->challenge_error = e;
		} else if (!res->has_challenge || c.scheme > res->challenge.scheme) {
			res->challenge = c;
			res->has_challenge = true;
		}
	}
	return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct response *res = userdata;
	size_t n = size * nmemb, max;

	if (!res->status)
		curl_easy_getinfo(res->curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (res->status == 200 && res->sink) {
		if (res->sink_n + n > res->sink_max) {
			res->too_big = true;
			return 0;
		}
		res->sink_n += n;
		if (res->sink(res->userdata, data, n, res->sink_error) < 0) {
			res->sink_failed = true;
			return 0;
		}
		return n;
	}
	max = res->status == 200 ? res->max : REGISTRY_ERROR_BODY_MAX;
	if (res->len + n > max) {
		/* An error body is only quoted: what fits is enough. */
		if (res->status == 200)
			res->too_big = true;
		else
			res->truncated = true;
		return 0;
	}
	res->body = realloc(res->body, res->len + n + 1);
	if (!res->body)
		abort();
	memcpy(res->body + res->len, data, n);
	res->len += n;
	res->body[res->len] = '\0';
	return n;
}

/* $LAUNCHER_REGISTRY_STALL_SECONDS (1..3600) or REGISTRY_LOW_SPEED_TIME:
 * how long a transfer may crawl before it fails. */
static long stall_seconds(void)
{
	const char *s = getenv("LAUNCHER_REGISTRY_STALL_SECONDS");
	uint64_t v;

	if (s && *s && parse_uint(s, 3600, &v) == 0 && v > 0)
		return (long)v;
	return REGISTRY_LOW_SPEED_TIME;
}

static int curl_failure(struct registry *r, const char *url, CURLcode c, struct error *e)
{
	const char *why = r->errbuf[0] ? r->errbuf : curl_easy_strerror(c);

	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return error_set(e, EHOSTUNREACH, "%s: %s", url, why);
	case CURLE_COULDNT_CONNECT:
		return error_set(e, ECONNREFUSED, "%s: %s", url, why);
	case CURLE_OPERATION_TIMEDOUT:
		return error_set(e, ETIMEDOUT, "%s: %s (the registry stalled)", url, why);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return error_set(e, EPROTO,
				 "%s: TLS: %s (a registry that serves plain HTTP must be named "
				 "with --insecure-registry %s)",
				 url, why, r->domain);
	default:
		return error_set(e, EIO, "%s: %s", url, why);
	}
}

/* One request, no redirects followed. authorization: a header value or NULL. */
static int request_once(struct registry *r, const char *url, const char *accept,
			const char *authorization, struct response *res, struct error *e)
{
	struct curl_slist *headers = NULL;
	_cleanup_free_ char *auth_header = NULL;
	CURLcode c;

	response_reset(res);
	res->curl = r->curl;
	res->sink_n = 0;
	curl_easy_reset(r->curl);
	r->errbuf[0] = '\0';
	if (accept)
		headers = curl_slist_append(headers, accept);
	if (authorization) {
		auth_header = xasprintf("Authorization: %s", authorization);
		headers = curl_slist_append(headers, auth_header);
	}
	curl_easy_setopt(r->curl, CURLOPT_URL, url);
	curl_easy_setopt(r->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(r->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->curl, CURLOPT_UNRESTRICTED_AUTH, 0L);
	curl_easy_setopt(r->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->curl, CURLOPT_CONNECTTIMEOUT, (long)REGISTRY_CONNECT_TIMEOUT);
	curl_easy_setopt(r->curl, CURLOPT_LOW_SPEED_LIMIT, (long)REGISTRY_LOW_SPEED_LIMIT);
	curl_easy_setopt(r->curl, CURLOPT_LOW_SPEED_TIME, (long)stall_seconds());
	curl_easy_setopt(r->curl, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->curl, CURLOPT_USERAGENT, "launcher/" LAUNCHER_VERSION);
	curl_easy_setopt(r->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(r->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(r->curl, CURLOPT_HEADERDATA, res);
	curl_easy_setopt(r->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(r->curl, CURLOPT_WRITEDATA, res);
	c = curl_easy_perform(r->curl);
	curl_slist_free_all(headers);
	if (res->sink_failed)
		return -res->sink_error->code;
	if (res->too_big)
		return error_set(
		    e, EFBIG, "%s: the response is larger than expected (%llu bytes)", url,
		    (unsigned long long)(res->sink ? res->sink_max : (uint64_t)res->max));
	if (c != CURLE_OK && !(c == CURLE_WRITE_ERROR && res->truncated))
		return curl_failure(r, url, c, e);
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &res->status);
	return 0;
}

/* Whether a and b are the same scheme, host and port. */
static bool same_origin(const char *a, const char *b)
{
	CURLU *ua = curl_url(), *ub = curl_url();
	static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST, CURLUPART_PORT};
	bool same = ua && ub && curl_url_set(ua, CURLUPART_URL, a, 0) == CURLUE_OK &&
		    curl_url_set(ub, CURLUPART_URL, b, 0) == CURLUE_OK;

	for (size_t i = 0; same && i < sizeof(parts) / sizeof(*parts); i++) {
		char *pa = NULL, *pb = NULL;
		same = curl_url_get(ua, parts[i], &pa, CURLU_DEFAULT_PORT) == CURLUE_OK &&
		       curl_url_get(ub, parts[i], &pb, CURLU_DEFAULT_PORT) == CURLUE_OK &&
		       strcasecmp(pa, pb) == 0;
		curl_free(pa);
		curl_free(pb);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* A GET, following redirects by hand: authorization goes only to the
 * origin of url, whatever the redirects say. */
static int get(struct registry *r, const char *url, const char *accept, const char *authorization,
	       struct response *res, struct error *e)
{
	_cleanup_free_ char *cur = xstrdup(url);

	for (int hops = 0;; hops++) {
		bool home = same_origin(cur, url);
		char *loc = NULL;

		if (request_once(r, cur, accept, home ? authorization : NULL, res, e) < 0)
			return -e->code;
		if (!is_redirect(res->status))
			return 0;
		if (hops == REGISTRY_REDIRECTS_MAX)
			return error_set(e, ELOOP, "%s: more than %d redirects", url,
					 REGISTRY_REDIRECTS_MAX);
		if (curl_easy_getinfo(r->curl, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc)
			return error_set(e, EPROTO, "%s: HTTP %ld without a usable Location", cur,
					 res->status);
		if (strlen(loc) >= URL_MAX ||
		    (strncasecmp(loc, "https://", 8) != 0 &&
		     (strncasecmp(loc, "http://", 7) != 0 || strncasecmp(cur, "https://", 8) == 0)))
			return error_set(
			    e, EPROTO,
			    "%s: redirected to a URL that is not http(s), too long, or "
			    "from https down to http",
			    cur);
		free(cur);
		cur = xstrdup(loc);
	}
}

static void describe_error(const struct response *res, char *buf, size_t size)
{
	char summary[REGISTRY_ERROR_MSG_MAX];

	registry_error_summary(res->body ? res->body : "", res->len, summary);
	snprintf(buf, size, "%s", summary[0] ? summary : "no details");
}

static int access_denied(struct registry *r, const char *what, const struct response *res,
			 struct error *e)
{
	char why[REGISTRY_ERROR_MSG_MAX];

	describe_error(res, why, sizeof(why));
	return error_set(
	    e, EACCES, "%s: access denied (%s): log in with 'launcher login %s' or check the name",
	    what, why, r->domain);
}

static char *token_url(const struct registry *r, const struct registry_challenge *ch,
		       const char *scope)
{
	char *service = curl_easy_escape(r->curl, ch->service, 0);
	char *sc = scope ? curl_easy_escape(r->curl, scope, 0) : NULL;
	char *account = r->have_creds ? curl_easy_escape(r->curl, r->creds.username, 0) : NULL;
	char *url =
	    xasprintf("%s%cservice=%s%s%s%s%s", ch->realm, strchr(ch->realm, '?') ? '&' : '?',
		      service ? service : "", sc ? "&scope=" : "", sc ? sc : "",
		      account ? "&account=" : "", account ? account : "");

	curl_free(service);
	curl_free(sc);
	curl_free(account);
	return url;
}

/* Answers the challenge of a 401: a token from the realm (with the
 * credentials when there are some), or Basic with the credentials. */
static int authenticate(struct registry *r, const struct registry_challenge *ch, const char *scope,
			const char *what, struct error *e)
{
	_cleanup_free_ char *url = NULL, *basic = NULL, *token = NULL;
	struct response res = {.max = REGISTRY_TOKEN_RESPONSE_MAX};
	int rc;

	if (r->have_creds)
		basic = registry_basic_auth(&r->creds);
	if (ch->scheme == REGISTRY_AUTH_BASIC) {
		if (!basic)
			return error_set(
			    e, EACCES,
			    "%s: access denied (the registry wants a user name and "
			    "password): log in with 'launcher login %s' or check the name",
			    what, r->domain);
		free(r->authorization);
		r->authorization = TAKE_PTR(basic);
		return 0;
	}
	url = token_url(r, ch, scope);
	rc = get(r, url, NULL, basic, &res, e);
	if (rc == 0 && (res.status == 401 || res.status == 403)) {
		if (r->have_creds)
			rc = error_set(e, EACCES,
				       "%s: the token server refused the credentials of %s: log in "
				       "again with 'launcher login %s'",
				       what, r->creds.username, r->domain);
		else
			rc = access_denied(r, what, &res, e);
	} else if (rc == 0 && res.status != 200) {
		char why[REGISTRY_ERROR_MSG_MAX];
		describe_error(&res, why, sizeof(why));
		rc = error_set(e, EPROTO, "%s: token server %s: HTTP %ld (%s)", what, ch->realm,
			       res.status, why);
	} else if (rc == 0 &&
		   registry_token_parse(res.body ? res.body : "", res.len, &token, e) < 0) {
		rc = error_prefix(e, "%s: token server %s", what, ch->realm);
	}
	response_reset(&res);
	if (rc < 0)
		return rc;
	free(r->authorization);
	r->authorization = xasprintf("Bearer %s", token);
	return 0;
}

/* A GET of the registry's API, authenticating once when it answers 401. */
static int api_get(struct registry *r, const char *url, const char *accept, const char *what,
		   struct response *res, struct error *e)
{
	_cleanup_free_ char *scope = xasprintf("repository:%s:pull", r->path);

	/* Once per request: a token may expire during a long pull. */
	if (get(r, url, accept, r->authorization, res, e) < 0)
		return -e->code;
	if (res->status != 401)
		return 0;
	if (!res->has_challenge) {
		if (res->challenge_error.code) {
			*e = res->challenge_error;
			return error_prefix(e, "%s", what);
		}
		return access_denied(r, what, res, e);
	}
	if (authenticate(r, &res->challenge, scope, what, e) < 0)
		return -e->code;
	return get(r, url, accept, r->authorization, res, e);
}

/* The error for a final status other than 200. */
static int status_error(struct registry *r, const char *what, const char *url,
			const struct response *res, struct error *e)
{
	char why[REGISTRY_ERROR_MSG_MAX];

	describe_error(res, why, sizeof(why));
	switch (res->status) {
	case 401:
	case 403:
		return access_denied(r, what, res, e);
	case 404:
		return error_set(e, ENOENT, "%s not found in the registry (%s)", what, why);
	case 429:
		return error_set(e, EBUSY,
				 "toomanyrequests: %s limits the rate of pulls (%s): wait, or log "
				 "in with 'launcher login %s' for a higher limit",
				 r->domain, why, r->domain);
	default:
		return error_set(e, EPROTO, "%s: HTTP %ld from %s (%s)", what, res->status, url,
				 why);
	}
}

bool registry_is_insecure(const struct registry_options *o, const char *domain)
{
	for (size_t i = 0; o && i < o->ninsecure; i++)
		if (strcasecmp(o->insecure[i], domain) == 0)
			return true;
	return false;
}

int registry_open(const char *domain, const char *path, const struct registry_options *o,
		  struct registry **ret, struct error *e)
{
	struct registry *r;
	char file[PATH_MAX];
	const char *api =
	    strcmp(domain, REGISTRY_DOCKER_HUB) == 0 ? REGISTRY_DOCKER_HUB_API : domain;
	int rc;

	if (strlen(domain) >= IMAGE_REF_DOMAIN_MAX || (path && strlen(path) >= IMAGE_REF_PATH_MAX))
		return error_set(e, ENAMETOOLONG, "registry name too long");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_set(e, EIO, "initialising libcurl failed");
	r = xcalloc(1, sizeof(*r));
	r->curl = curl_easy_init();
	if (!r->curl) {
		free(r);
		return error_set(e, ENOMEM, "initialising libcurl failed");
	}
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	snprintf(r->base, sizeof(r->base), "%s://%s",
		 registry_is_insecure(o, domain) ? "http" : "https", api);
	snprintf(r->path, sizeof(r->path), "%s", path ? path : "");
	if (o && o->auth_file)
		rc = bprintf(file, sizeof(file), "%s", o->auth_file);
	else
		rc = registry_auth_file_path(file, sizeof(file));
	if (rc == 0) {
		rc = registry_credentials_lookup(file, domain, &r->creds, e);
		if (rc < 0 && rc != -ENOENT) {
			registry_free(r);
			return error_prefix(e, "credentials");
		}
		r->have_creds = rc == 0;
	}
	*ret = r;
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	curl_easy_cleanup(r->curl);
	free(r->authorization);
	explicit_bzero(&r->creds, sizeof(r->creds));
	free(r);
}

int registry_get_manifest(struct registry *r, const char *reference, struct registry_manifest *ret,
			  struct error *e)
{
	_cleanup_free_ char *url = xasprintf("%s/v2/%s/manifests/%s", r->base, r->path, reference);
	_cleanup_free_ char *what = xasprintf("%s/%s%c%s", r->domain, r->path,
					      strchr(reference, ':') ? '@' : ':', reference);
	struct response res = {.max = OCI_JSON_MAX};

	if (api_get(r, url, ACCEPT_MANIFESTS, what, &res, e) < 0) {
		response_reset(&res);
		return -e->code;
	}
	if (res.status != 200) {
		status_error(r, what, url, &res, e);
		response_reset(&res);
		if (e->code == ENOENT)
			return error_set(e, ENOENT,
					 "manifest unknown: %s not found in the registry", what);
		return -e->code;
	}
	memset(ret, 0, sizeof(*ret));
	ret->body = res.body ? TAKE_PTR(res.body) : xstrdup("");
	ret->len = res.len;
	strcpy(ret->content_type, res.content_type);
	strcpy(ret->digest, res.digest);
	return 0;
}

void registry_manifest_free(struct registry_manifest *m)
{
	free(m->body);
	m->body = NULL;
}

int registry_get_blob(struct registry *r, const char *digest, uint64_t size, registry_sink_fn sink,
		      void *userdata, struct error *e)
{
	_cleanup_free_ char *url = xasprintf("%s/v2/%s/blobs/%s", r->base, r->path, digest);
	_cleanup_free_ char *what = xasprintf("blob %s of %s/%s", digest, r->domain, r->path);
	struct response res = {
	    .sink = sink, .userdata = userdata, .sink_error = e, .sink_max = size};
	int rc = api_get(r, url, NULL, what, &res, e);

	if (rc == 0 && res.status != 200)
		rc = status_error(r, what, url, &res, e);
	if (rc == 0 && res.sink_n != size)
		rc = error_set(e, EBADMSG, "%s: %llu bytes arrived, the manifest says %llu", what,
			       (unsigned long long)res.sink_n, (unsigned long long)size);
	if (rc < 0 && e->code == EFBIG)
		rc = error_set(e, EBADMSG, "%s: more bytes arrived than the manifest's %llu", what,
			       (unsigned long long)size);
	response_reset(&res);
	return rc;
}

int registry_check_login(struct registry *r, const struct registry_credentials *c, struct error *e)
{
	_cleanup_free_ char *url = xasprintf("%s/v2/", r->base);
	_cleanup_free_ char *what = xasprintf("logging in to %s", r->domain);
	struct response res = {.max = REGISTRY_ERROR_BODY_MAX};
	int rc;

	r->creds = *c;
	r->have_creds = true;
	free(r->authorization);
	r->authorization = NULL;
	rc = get(r, url, NULL, NULL, &res, e);
	if (rc == 0 && res.status == 401) {
		if (!res.has_challenge)
			rc = res.challenge_error.code
				 ? (*e = res.challenge_error, -e->code)
				 : error_set(e, EPROTO, "%s: 401 without a challenge", url);
		else
			rc = authenticate(r, &res.challenge, NULL, what, e);
		if (rc == 0)
			rc = get(r, url, NULL, r->authorization, &res, e);
		if (rc == 0 && (res.status == 401 || res.status == 403))
			rc = error_set(e, EACCES,
				       "%s: unauthorized: incorrect username or password", what);
	}
	if (rc == 0 && res.status != 200)
		rc = status_error(r, what, url, &res, e);
	response_reset(&res);
	return rc;
}
