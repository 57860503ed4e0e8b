/* echo.c: answers with the request it got, as a JSON object. */
#include <mayfly.h>
#include <string.h>

/* JSON escapes: \" and \\, control characters as \u00XX. Bytes from 0x80 up
 * are passed through (UTF-8 stays UTF-8; other bytes are not checked). */
static int echo_needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static int echo_escape(unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

    if (c == '"' || c == '\\') {
        esc[1] = (char)c;
        return mf_write(esc, 2);
    }
    return mf_write(esc, sizeof(esc));
}

/* Writes s[0..len) as a JSON string, quotes included; runs of plain bytes
 * go out in one write. */
static int echo_string(const char *s, size_t len)
{
    size_t run = 0, i;

    if (mf_write("\"", 1) < 0)
        return -1;
    for (i = 0; i < len; i++) {
        if (!echo_needs_escape((unsigned char)s[i]))
            continue;
        if (mf_write(s + run, i - run) < 0 ||
            echo_escape((unsigned char)s[i]) < 0)
            return -1;
        run = i + 1;
    }
    if (mf_write(s + run, len - run) < 0 || mf_write("\"", 1) < 0)
        return -1;
    return 0;
}

static int echo_str(const char *s)
{
    return echo_string(s, strlen(s));
}

/* "key":"value" */
static int echo_member(const char *key, const char *value, size_t len)
{
    if (echo_str(key) < 0 || mf_write(":", 1) < 0)
        return -1;
    return echo_string(value, len);
}

static int echo_headers(void)
{
    const char *name, *value;
    size_t i;

    if (mf_puts("\"headers\":{") < 0)
        return -1;
    for (i = 0; mf_header_at(i, &name, &value) == 0; i++) {
        if ((i > 0 && mf_write(",", 1) < 0) ||
            echo_member(name, value, strlen(value)) < 0)
            return -1;
    }
    return mf_write("}", 1);
}

int mf_handler(void)
{
    size_t len;
    const char *body = mf_body(&len);

    if (mf_set_header("Content-Type", "application/json") < 0 ||
        mf_write("{", 1) < 0 ||
        echo_member("method", mf_method(), strlen(mf_method())) < 0 ||
        mf_write(",", 1) < 0 ||
        echo_member("path", mf_path(), strlen(mf_path())) < 0 ||
        mf_write(",", 1) < 0 ||
        echo_member("query", mf_query(), strlen(mf_query())) < 0 ||
        mf_write(",", 1) < 0 || echo_headers() < 0 || mf_write(",", 1) < 0 ||
        echo_member("body", body, len) < 0 || mf_write("}", 1) < 0)
        return -1;
    return 0;
}
