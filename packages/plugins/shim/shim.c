/*
 * The executable every tscni plugin name is a link to (`.tscni-shim`, built by
 * scripts/bundle.mjs with the build's table in shim-table.h).
 *
 * Why it exists: a runtime execs a plugin for every VERSION, ADD, CHECK and DEL, and Node
 * alone needs ~20 ms to start, more than the Go reference's whole ptp ADD. So this small
 * program
 *   - answers a plain VERSION itself, from the table the build wrote (the same bytes the
 *     plugins print);
 *   - hands ADD, CHECK, DEL, GC and STATUS to the tscni server (`tscni-server`, a Node process
 *     kept warm) over its root-only unix socket, when one runs, is the same build (the core
 *     hash) and sees the same namespaces and umask as this process;
 *   - otherwise execs the Node launcher `.tscni` beside it, which runs the plugin as before.
 *     What this program already read of stdin is handed on in a memfd.
 *
 * The server runs a request only after this program confirmed it still waits for the answer
 * (the 'A'/'G' handshake), so a request is never run twice: before the confirmation the
 * fallback exec runs it, after it only the server does. Protocol: packages/plugins/src/
 * server/protocol.ts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* shim-table.h (generated) defines TSCNI_CORE_HASH, TSCNI_PLUGIN_COUNT, tscni_names[] and
 * tscni_version_replies[]; the build passes it with -include. */

#define DEFAULT_SOCKET "/run/tscni/server.sock"
#define LAUNCHER ".tscni"
/* How long the server may take to accept a request before the plugin runs without it. */
#define ACCEPT_TIMEOUT_MS 10000
/* No plugin prints more; a larger length is a broken server. */
#define MAX_REPLY ((size_t)64 << 20)

extern char **environ;

struct buf {
	char *data;
	size_t len, cap;
};

static void die_oom(void)
{
	static const char msg[] = "{\n    \"code\": 999,\n    \"msg\": \"tscni: out of memory\"\n}\n";
	(void)!write(1, msg, sizeof msg - 1);
	_exit(1);
}

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			die_oom();
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A CNI error on stdout, as a plugin prints it, and exit status 1. */
static void fail(const char *msg, const char *detail)
{
	struct buf b = {0};
	buf_str(&b, "{\n    \"code\": 999,\n    \"msg\": \"");
	for (const char *parts[] = {msg, detail, NULL}, **p = parts; *p; p++) {
		for (const char *c = *p; *c; c++) {
			char esc[8];
			if (*c == '"' || *c == '\\') {
				esc[0] = '\\';
				esc[1] = *c;
				buf_add(&b, esc, 2);
			} else if ((unsigned char)*c < 0x20) {
				snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*c);
				buf_str(&b, esc);
			} else {
				buf_add(&b, c, 1);
			}
		}
	}
	buf_str(&b, "\"\n}\n");
	(void)write_all(1, b.data, b.len);
	_exit(1);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int known_plugin(const char *name)
{
	for (int i = 0; i < TSCNI_PLUGIN_COUNT; i++)
		if (strcmp(tscni_names[i], name) == 0)
			return i;
	return -1;
}

/* The directory this executable lives in (the launcher is beside it). */
static void own_dir(char *out, size_t size, const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);
	if (n > 0) {
		out[n] = '\0';
	} else {
		snprintf(out, size, "%s", argv0);
	}
	char *slash = strrchr(out, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(out, size, ".");
}

/* Runs the plugin through the Node launcher, with what was read of stdin (if anything) as stdin. */
static void exec_launcher(const char *argv0, int plugin_arg, int argc, char **argv, const char *name, const struct buf *stdin_read)
{
	char dir[PATH_MAX], launcher[PATH_MAX + sizeof LAUNCHER + 1];
	own_dir(dir, sizeof dir, argv0);
	snprintf(launcher, sizeof launcher, "%s/%s", dir, LAUNCHER);
	if (stdin_read) {
		int fd = memfd_create("tscni-stdin", MFD_CLOEXEC);
		if (fd < 0 || write_all(fd, stdin_read->data ? stdin_read->data : "", stdin_read->len) < 0 || lseek(fd, 0, SEEK_SET) < 0 || dup2(fd, 0) < 0)
			fail("tscni: cannot hand stdin to the plugin: ", strerror(errno));
		close(fd);
	}
	/* The launcher reads the plugin's name from its first argument. */
	char **args = calloc((size_t)argc + 3, sizeof *args);
	if (!args)
		die_oom();
	int n = 0;
	args[n++] = launcher;
	args[n++] = (char *)name;
	for (int i = plugin_arg + 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	execv(launcher, args);
	char why[PATH_MAX + 64];
	snprintf(why, sizeof why, "%s: %s; reinstall the plugins (cnitool install)", launcher, strerror(errno));
	fail("tscni: cannot run the plugins' launcher ", why);
}

static int read_all_stdin(struct buf *b)
{
	char chunk[65536];
	for (;;) {
		ssize_t r = read(0, chunk, sizeof chunk);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EBADF: no stdin at all, as an empty one. */
			return errno == EBADF ? 0 : -1;
		}
		if (r == 0)
			return 0;
		buf_add(b, chunk, (size_t)r);
	}
}

static unsigned long long ns_inode(const char *kind)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/self/ns/%s", kind);
	return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads exactly n bytes; 0 on success, -1 on EOF or error. With a deadline (ms, or -1). */
static int read_exact(int fd, char *p, size_t n, long long deadline)
{
	while (n > 0) {
		/* No deadline (-1): wait as long as the server works; the runtime has its own timeout. */
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		if (deadline >= 0 && left <= 0)
			return -1;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ready = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return -1;
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Sends everything before the deadline (the socket is non-blocking); -1 on error or timeout. */
static int send_all(int fd, const char *p, size_t n, long long deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			long long left = deadline - now_ms();
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
				return -1;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A connection to the server, or -1 when none answers right now. */
static int connect_server(void)
{
	const char *path = getenv("TSCNI_SERVER_SOCKET");
	if (path && strcmp(path, "off") == 0)
		return -1;
	if (!path || !*path)
		path = DEFAULT_SOCKET;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof addr.sun_path)
		return -1;
	strcpy(addr.sun_path, path);
	/* Non-blocking connect: a server whose backlog is full is as good as none (EAGAIN). */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
		close(fd);
		return -1;
	}
	/* Stays non-blocking: every wait is a poll with a deadline (read_exact, send_all). */
	return fd;
}

/*
 * Hands the request to the server. Returns only when the server did not take it (the caller
 * then runs the plugin itself); once the server took it, this process ends with its answer.
 */
static void try_server(const char *name, const struct buf *in)
{
	int fd = connect_server();
	if (fd < 0)
		return;
	mode_t mask = umask(0);
	umask(mask);
	size_t envc = 0;
	for (char **e = environ; *e; e++)
		envc++;
	struct buf req = {0};
	char head[512];
	snprintf(head, sizeof head, "TSCNI1 %s %llu %llu %llu %llu %o %zu %zu ", TSCNI_CORE_HASH, ns_inode("net"), ns_inode("mnt"), ns_inode("pid"), ns_inode("user"), (unsigned)mask, envc, in->len);
	buf_str(&req, head);
	buf_str(&req, name);
	buf_str(&req, "\n");
	for (char **e = environ; *e; e++)
		buf_add(&req, *e, strlen(*e) + 1);
	if (in->len)
		buf_add(&req, in->data, in->len);
	char accepted;
	long long deadline = now_ms() + ACCEPT_TIMEOUT_MS;
	if (send_all(fd, req.data, req.len, deadline) < 0 || read_exact(fd, &accepted, 1, deadline) < 0 || accepted != 'A') {
		close(fd);
		free(req.data);
		return;
	}
	free(req.data);
	if (send_all(fd, "G", 1, now_ms() + ACCEPT_TIMEOUT_MS) < 0) {
		close(fd);
		return;
	}
	/* From here the server runs the plugin: its answer is this process's. */
	char line[96];
	size_t n = 0;
	int complete = 0;
	while (!complete && n < sizeof line - 1) {
		if (read_exact(fd, line + n, 1, -1) < 0)
			fail("tscni: the tscni server ended before it answered (see its log); the operation may be partly done", "");
		complete = line[n++] == '\n';
	}
	line[n] = '\0';
	int code;
	size_t out_len, err_len;
	/* Bounded like the server's requests, so the sum below cannot overflow. */
	if (!complete || sscanf(line, "%d %zu %zu", &code, &out_len, &err_len) != 3 || out_len > MAX_REPLY || err_len > MAX_REPLY)
		fail("tscni: the tscni server answered in a way this plugin does not understand: ", line);
	char *body = malloc(out_len + err_len + 1);
	if (!body)
		die_oom();
	if (read_exact(fd, body, out_len + err_len, -1) < 0)
		fail("tscni: the tscni server ended before it answered (see its log); the operation may be partly done", "");
	(void)write_all(1, body, out_len);
	(void)write_all(2, body + out_len, err_len);
	_exit(code);
}

int main(int argc, char **argv)
{
	const char *argv0 = argc > 0 ? argv[0] : LAUNCHER;
	/* The plugin is the name this was invoked under, else the name of the link run, else the first argument. */
	int plugin_arg = 0;
	const char *name = base_name(argv0);
	if (known_plugin(name) < 0) {
		char exe[PATH_MAX];
		ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (len > 0) {
			exe[len] = '\0';
		}
		if (len > 0 && known_plugin(base_name(exe)) >= 0) {
			name = base_name(exe);
		} else if (argc > 1) {
			plugin_arg = 1;
			name = argv[1];
		}
	}
	int index = known_plugin(name);
	int has_args = argc > plugin_arg + 1;
	const char *command = getenv("CNI_COMMAND");
	if (index < 0 || has_args || !command)
		exec_launcher(argv0, plugin_arg, argc, argv, name, NULL);

	if (strcmp(command, "VERSION") == 0) {
		const char *reply = tscni_version_replies[index];
		if (write_all(1, reply, strlen(reply)) == 0)
			return 0;
		/* Failed writes are reported by the plugin, as the reference does. */
		exec_launcher(argv0, plugin_arg, argc, argv, name, NULL);
	}
	static const char *const served[] = {"ADD", "DEL", "CHECK", "GC", "STATUS"};
	int serve = 0;
	for (size_t i = 0; i < sizeof served / sizeof *served; i++)
		serve |= strcmp(command, served[i]) == 0;
	if (!serve)
		exec_launcher(argv0, plugin_arg, argc, argv, name, NULL);

	struct buf in = {0};
	if (read_all_stdin(&in) < 0)
		fail("tscni: error reading from stdin: ", strerror(errno));
	try_server(name, &in);
	exec_launcher(argv0, plugin_arg, argc, argv, name, &in);
	return 1;
}
