/* Fixtures: parse a scenario, then run it through the world (see fixture.h). */
#include <errno.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fixture.h"
#include "pcap.h"
#include "psd/lit.h"
#include "world.h"

#define MS 1000000ull
#define IFF_KERNEL_DEFAULT 0x1002u /* IFF_BROADCAST | IFF_MULTICAST, on every port */

enum step_kind {
	S_INIT,          /* <DB> <key> {...}: content before the start */
	S_KERNEL0,       /* a netdev that exists at the start */
	S_START,
	S_DUMP,          /* DUMP NEW <link>: part of the answer to the daemon's dump */
	S_LINK,          /* NEW / DEL <link>: an event */
	S_CONSUME,
	S_EXT_WRITE,
	S_EXT_DEL,
	S_OVERRUN,       /* the next n events are lost; the next read reports ENOBUFS */
	S_PAUSE,         /* the daemon stops reading: events queue in the socket */
	S_RESUME,        /* it reads again: ENOBUFS if events were lost, the queue, then empty */
	S_REDIS_DOWN,    /* ms */
	S_RESTART,       /* warm or cold */
	S_KERNEL_NOW,    /* a netdev in the kernel truth later dumps return */
	S_WAIT,          /* ms */
	S_PCAP,          /* the datagrams of a capture (--record), in order */
	S_EXPECT,        /* <DB> <key> {...}: these fields hold these values */
	S_EXPECT_ABSENT,
	S_EXPECT_DOWN,   /* the daemon brought this netdev down */
	S_EXPECT_NO_DOWN,
	S_EXPECT_ORDER,  /* the first command with text a comes before the first with text b */
	S_EXPECT_COUNT,  /* this many commands contain text */
	S_EXPECT_LOG,
};

struct link {
	char name[PSD_FIXTURE_TEXT_MAX];
	int32_t ifindex;
	uint32_t flags, mtu, master;
	uint8_t family;
	char kind[PSD_FIXTURE_TEXT_MAX];
	uint16_t type;
};

struct field {
	char name[PSD_FIXTURE_TEXT_MAX];
	char value[PSD_FIXTURE_TEXT_MAX];
};

struct step {
	enum step_kind kind;
	unsigned line;
	unsigned modes; /* bit 0 field, bit 1 compat */
	uint32_t db;
	char key[PSD_FIXTURE_TEXT_MAX];
	char text[PSD_FIXTURE_TEXT_MAX];
	uint64_t number;
	struct link link;
	struct field fields[PSD_FIXTURE_FIELDS_MAX];
	unsigned nfields;
};

struct psd_fixture {
	char name[PSD_FIXTURE_NAME_MAX];
	struct step *steps;
	unsigned count;
	bool has_compat;
};

#define MODE_FIELD 1u
#define MODE_COMPAT 2u

/* --- parsing --------------------------------------------------------------------------- */

struct cursor {
	const char *p, *end;
	const char *file;
	unsigned line;
	char *why;
	size_t why_size;
	bool failed;
};

__attribute__((format(printf, 2, 3)))
static bool error(struct cursor *c, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->why, c->why_size, "%s:%u: ", c->file, c->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->why_size)
		vsnprintf(c->why + n, c->why_size - (size_t)n, fmt, ap);
	va_end(ap);
	c->failed = true;
	return false;
}

/* Steps over word when the text at the cursor starts with it. */
static bool take(struct cursor *c, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return false;
	c->p += n;
	return true;
}

static void skip_space(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static bool at_end(struct cursor *c)
{
	skip_space(c);
	return c->p == c->end || *c->p == '#';
}

/* A word, or a "quoted string"; stops at space, ',', '}' (and ':' when stop_colon). */
static bool token(struct cursor *c, char *out, const char *what, bool stop_colon)
{
	size_t n = 0;
	skip_space(c);
	if (c->p < c->end && *c->p == '"') {
		for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
			if (n + 1 >= PSD_FIXTURE_TEXT_MAX)
				return error(c, "%s is longer than %u bytes", what,
					     PSD_FIXTURE_TEXT_MAX - 1);
			out[n++] = *c->p;
		}
		if (c->p == c->end)
			return error(c, "%s: unterminated quote", what);
		c->p++;
	} else {
		for (; c->p < c->end && !strchr(" \t,}#", *c->p) && !(stop_colon && *c->p == ':');
		     c->p++) {
			if (n + 1 >= PSD_FIXTURE_TEXT_MAX)
				return error(c, "%s is longer than %u bytes", what,
					     PSD_FIXTURE_TEXT_MAX - 1);
			out[n++] = *c->p;
		}
		if (n == 0)
			return error(c, "%s is missing", what);
	}
	out[n] = '\0';
	return true;
}

static bool number(struct cursor *c, uint64_t *ret, uint64_t max, const char *what)
{
	char text[PSD_FIXTURE_TEXT_MAX], *end;
	if (!token(c, text, what, false))
		return false;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 0);
	if (*end != '\0' || errno != 0 || text[0] == '-' || v > max)
		return error(c, "%s '%s' is not a number from 0 to %llu", what, text,
			     (unsigned long long)max);
	*ret = v;
	return true;
}

static bool db_of(struct cursor *c, uint32_t *ret)
{
	char name[PSD_FIXTURE_TEXT_MAX];
	if (!token(c, name, "database", false))
		return false;
	if (strcmp(name, "CONFIG_DB") == 0)
		*ret = PSD_WORLD_CONFIG;
	else if (strcmp(name, "APPL_DB") == 0)
		*ret = PSD_WORLD_APPL;
	else if (strcmp(name, "STATE_DB") == 0)
		*ret = PSD_WORLD_STATE;
	else
		return error(c, "database '%s' is not CONFIG_DB, APPL_DB or STATE_DB", name);
	return true;
}

/* {name: value, ...} */
static bool hash(struct cursor *c, struct step *s)
{
	skip_space(c);
	if (c->p == c->end || *c->p != '{')
		return error(c, "expected '{' to start the fields");
	c->p++;
	for (;;) {
		skip_space(c);
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return true;
		}
		if (s->nfields == PSD_FIXTURE_FIELDS_MAX)
			return error(c, "more than %u fields", PSD_FIXTURE_FIELDS_MAX);
		struct field *f = &s->fields[s->nfields++];
		if (!token(c, f->name, "field name", true))
			return false;
		skip_space(c);
		if (c->p == c->end || *c->p != ':')
			return error(c, "expected ':' after field '%s'", f->name);
		c->p++;
		if (!token(c, f->value, "field value", false))
			return false;
		skip_space(c);
		if (c->p < c->end && *c->p == ',')
			c->p++;
		else if (c->p == c->end || *c->p != '}')
			return error(c, "expected ',' or '}' after field '%s'", f->name);
	}
}

static bool flags_of(struct cursor *c, uint32_t *ret)
{
	char text[PSD_FIXTURE_TEXT_MAX];
	if (!token(c, text, "flags", false))
		return false;
	*ret = IFF_KERNEL_DEFAULT;
	if (strcmp(text, "-") == 0)
		return true;
	for (char *f = text; *f != '\0'; f++) {
		if (*f == 'U')
			*ret |= IFF_UP;
		else if (*f == 'R')
			*ret |= IFF_RUNNING;
		else if (*f == 'L')
			*ret |= IFF_LOWER_UP;
		else if (*f != '|')
			return error(c, "flags '%s': use U, R, L joined by '|', or '-'", text);
	}
	return true;
}

/* <name> <ifindex> <flags> [<mtu>] [master=<n>] [kind=<k>] [fam=AF_BRIDGE] */
static bool link_of(struct cursor *c, struct link *l)
{
	uint64_t v;
	if (!token(c, l->name, "interface name", false) ||
	    !number(c, &v, INT32_MAX, "ifindex") || !flags_of(c, &l->flags))
		return false;
	l->ifindex = (int32_t)v;
	l->mtu = 9100;
	while (!at_end(c)) {
		char opt[PSD_FIXTURE_TEXT_MAX];
		if (!token(c, opt, "link option", false))
			return false;
		char *eq = strchr(opt, '=');
		if (eq == NULL) {
			char *end;
			unsigned long mtu = strtoul(opt, &end, 10);
			if (*end != '\0' || mtu == 0 || mtu > PSD_FIXTURE_MTU_MAX)
				return error(c, "'%s' is not an MTU (1 to %u) nor name=value", opt,
					     PSD_FIXTURE_MTU_MAX);
			l->mtu = (uint32_t)mtu;
		} else if (strncmp(opt, "master=", PSD_LIT_LEN("master=")) == 0) {
			char *end;
			unsigned long m = strtoul(eq + 1, &end, 10);
			if (*end != '\0' || m > INT32_MAX)
				return error(c, "master '%s' is not an ifindex", eq + 1);
			l->master = (uint32_t)m;
		} else if (strncmp(opt, "kind=", PSD_LIT_LEN("kind=")) == 0) {
			strcpy(l->kind, eq + 1);
		} else if (strcmp(opt, "fam=AF_BRIDGE") == 0) {
			l->family = AF_BRIDGE;
		} else {
			return error(c, "unknown link option '%s' (master=, kind=, fam=AF_BRIDGE)", opt);
		}
	}
	return true;
}

/* The steps that set the world up before START (and START itself); false with nothing said
 * when word is none of them. */
static bool parse_setup(struct cursor *c, struct step *s, const char *word, const char *word_at,
			bool *started, bool *known)
{
	*known = true;
	if (strcmp(word, "CONFIG_DB") == 0 || strcmp(word, "APPL_DB") == 0 ||
	    strcmp(word, "STATE_DB") == 0) {
		if (*started)
			return error(c, "database content after START: use EXT_WRITE");
		c->p = word_at; /* the database is the step's own first word */
		s->kind = S_INIT;
		return db_of(c, &s->db) && token(c, s->key, "key", false) && hash(c, s);
	}
	if (strcmp(word, "START") == 0) {
		if (*started)
			return error(c, "a second START: use RESTART cold|warm");
		s->kind = S_START;
		*started = true;
		return true;
	}
	if (strcmp(word, "KERNEL0") == 0) {
		if (*started)
			return error(c, "KERNEL0 after START: use KERNEL_NOW");
		s->kind = S_KERNEL0;
		return link_of(c, &s->link);
	}
	*known = false;
	return false;
}

/* The steps that check what the daemon did. */
static bool parse_expect(struct cursor *c, struct step *s, const char *word, bool *known)
{
	*known = true;
	if (strcmp(word, "EXPECT") == 0) {
		s->kind = S_EXPECT;
		return db_of(c, &s->db) && token(c, s->key, "key", false) && hash(c, s);
	}
	if (strcmp(word, "EXPECT_ABSENT") == 0) {
		s->kind = S_EXPECT_ABSENT;
		return db_of(c, &s->db) && token(c, s->key, "key", false);
	}
	if (strcmp(word, "EXPECT_NO_DOWN") == 0) {
		s->kind = S_EXPECT_NO_DOWN;
		return true;
	}
	if (strcmp(word, "EXPECT_DOWN") == 0 || strcmp(word, "EXPECT_LOG") == 0) {
		s->kind = word[7] == 'D' ? S_EXPECT_DOWN : S_EXPECT_LOG;
		return token(c, s->text, word[7] == 'D' ? "interface name" : "log text", false);
	}
	if (strcmp(word, "EXPECT_ORDER") == 0) {
		s->kind = S_EXPECT_ORDER;
		return token(c, s->text, "first command text", false) &&
		       token(c, s->key, "second command text", false);
	}
	if (strcmp(word, "EXPECT_COUNT") == 0) {
		s->kind = S_EXPECT_COUNT;
		return token(c, s->text, "command text", false) &&
		       number(c, &s->number, 1000000, "count");
	}
	*known = false;
	return false;
}

/* The steps that happen to the world after START: the kernel's, Redis's, the operator's. */
static bool parse_happening(struct cursor *c, struct step *s, const char *word)
{
	char dump_word[PSD_FIXTURE_TEXT_MAX];
	if (strcmp(word, "DUMP") == 0 || strcmp(word, "NEW") == 0 || strcmp(word, "DEL") == 0) {
		s->kind = strcmp(word, "DUMP") == 0 ? S_DUMP : S_LINK;
		s->link.type = strcmp(word, "DEL") == 0 ? RTM_DELLINK : RTM_NEWLINK;
		if (s->kind == S_DUMP && !token(c, dump_word, "DUMP message", false))
			return false;
		if (s->kind == S_DUMP && strcmp(dump_word, "NEW") != 0)
			return error(c, "a dump holds NEW messages only, not '%s'", dump_word);
		return link_of(c, &s->link);
	}
	if (strcmp(word, "KERNEL_NOW") == 0) {
		s->kind = S_KERNEL_NOW;
		return link_of(c, &s->link);
	}
	if (strcmp(word, "PCAP") == 0 || strcmp(word, "RESTART") == 0) {
		s->kind = word[0] == 'P' ? S_PCAP : S_RESTART;
		if (!token(c, s->text, word[0] == 'P' ? "capture file" : "restart kind", false))
			return false;
		if (s->kind == S_RESTART && strcmp(s->text, "cold") != 0 && strcmp(s->text, "warm") != 0)
			return error(c, "RESTART '%s': cold or warm", s->text);
		return true;
	}
	if (strcmp(word, "EXT_WRITE") == 0) {
		s->kind = S_EXT_WRITE;
		return db_of(c, &s->db) && token(c, s->key, "key", false) && hash(c, s);
	}
	if (strcmp(word, "EXT_DEL") == 0) {
		s->kind = S_EXT_DEL;
		return db_of(c, &s->db) && token(c, s->key, "key", false);
	}
	if (strcmp(word, "PAUSE") == 0 || strcmp(word, "RESUME") == 0 || strcmp(word, "CONSUME") == 0) {
		s->kind = word[0] == 'P' ? S_PAUSE : word[0] == 'R' ? S_RESUME : S_CONSUME;
		return true;
	}
	if (strcmp(word, "OVERRUN") == 0) {
		s->kind = S_OVERRUN;
		return number(c, &s->number, 1000, "message count");
	}
	if (strcmp(word, "REDIS_DOWN") == 0 || strcmp(word, "WAIT") == 0) {
		s->kind = word[0] == 'W' ? S_WAIT : S_REDIS_DOWN;
		return number(c, &s->number, 3600000, "milliseconds");
	}
	return error(c, "unknown step '%s'", word);
}

static bool parse_step(struct cursor *c, struct step *s, bool *started)
{
	char word[PSD_FIXTURE_TEXT_MAX];
	const char *word_at = c->p;
	bool known, ok;
	if (!token(c, word, "step", false))
		return false;
	ok = parse_setup(c, s, word, word_at, started, &known);
	if (known)
		return ok;
	if (!*started)
		return error(c, "'%s' before START", word);
	ok = parse_expect(c, s, word, &known);
	return known ? ok : parse_happening(c, s, word);
}

struct psd_fixture *psd_fixture_parse(const char *name, const char *text, size_t len,
				      char *why, size_t why_size)
{
	struct psd_fixture *f = calloc(1, sizeof(*f));
	struct cursor c = {.file = name, .why = why, .why_size = why_size};
	bool started = false;
	if (f == NULL || (f->steps = calloc(PSD_FIXTURE_STEPS_MAX, sizeof(*f->steps))) == NULL) {
		snprintf(why, why_size, "%s: out of memory", name);
		psd_fixture_free(f);
		return NULL;
	}
	snprintf(f->name, sizeof(f->name), "%s", name);
	for (const char *p = text, *end = text + len; p < end && !c.failed;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		c.line++;
		c.p = p;
		c.end = eol != NULL ? eol : end;
		p = eol != NULL ? eol + 1 : end;
		if ((size_t)(c.end - c.p) > PSD_FIXTURE_LINE_MAX) {
			error(&c, "line longer than %u bytes", PSD_FIXTURE_LINE_MAX);
			break;
		}
		if (memchr(c.p, '\0', (size_t)(c.end - c.p)) != NULL) {
			error(&c, "NUL byte in the line");
			break;
		}
		if (at_end(&c))
			continue;
		unsigned modes = MODE_FIELD | MODE_COMPAT;
		if (take(&c, "sim:")) /* holds in the deterministic world only: the real runner skips it */
			skip_space(&c);
		if (take(&c, "field:")) {
			modes = MODE_FIELD;
		} else if (take(&c, "compat:")) {
			modes = MODE_COMPAT;
			f->has_compat = true;
		}
		if (f->count == PSD_FIXTURE_STEPS_MAX) {
			error(&c, "more than %u steps", PSD_FIXTURE_STEPS_MAX);
			break;
		}
		struct step *s = &f->steps[f->count];
		s->line = c.line;
		s->modes = modes;
		if (!parse_step(&c, s, &started))
			break;
		if (!at_end(&c)) {
			error(&c, "unexpected '%.*s' at the end of the line", (int)(c.end - c.p), c.p);
			break;
		}
		f->count++;
	}
	if (!c.failed && !started)
		error(&c, "no START step");
	if (c.failed) {
		psd_fixture_free(f);
		return NULL;
	}
	return f;
}

bool psd_fixture_has_compat(const struct psd_fixture *f)
{
	return f->has_compat;
}

void psd_fixture_free(struct psd_fixture *f)
{
	if (f == NULL)
		return;
	free(f->steps);
	free(f);
}

/* --- running --------------------------------------------------------------------------- */

struct run {
	const struct psd_fixture *f;
	struct psd_world *w;
	FILE *out;
	unsigned failed;
	const struct step *dump[PSD_FIXTURE_DUMP_MAX]; /* the DUMP lines waiting for the next step */
	unsigned dump_count;
	const struct step *kernel_now[PSD_FIXTURE_DUMP_MAX];
	unsigned kernel_now_count;
	bool kernel_now_open;  /* the last step was KERNEL_NOW: the next one adds to the set */
	uint32_t served_seq;
	uint64_t overrun_left;
	bool paused;          /* the daemon does not read: events wait in backlog */
	bool loss_pending;    /* events were lost while paused: the next read reports ENOBUFS */
	const struct step *backlog[PSD_FIXTURE_STEPS_MAX];
	unsigned backlog_count;
};

__attribute__((format(printf, 3, 4)))
static void report(struct run *r, const struct step *s, const char *fmt, ...)
{
	va_list ap;
	fprintf(r->out, "%s:%u: ", r->f->name, s->line);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
	r->failed++;
}

static size_t encode(uint8_t *buf, size_t size, size_t off, const struct link *l, uint16_t type,
		     uint32_t seq)
{
	struct psd_nl_link_spec spec = {
		.type = type, .seq = seq, .nlflags = seq != 0 ? NLM_F_MULTI : 0,
		.family = l->family, .ifindex = l->ifindex, .flags = l->flags, .name = l->name,
		.mtu = l->mtu, .master = l->master, .kind = l->kind[0] != '\0' ? l->kind : NULL,
	};
	return psd_nl_build_link(buf, size, off, &spec);
}

/* Answers the daemon's dump with the given links, then NLMSG_DONE. */
static void answer_dump(struct run *r, const struct step *const *links, unsigned count)
{
	static uint8_t buf[1 << 16];
	size_t off = 0;
	r->served_seq = r->w->dump_seq;
	for (unsigned i = 0; i < count; i++)
		off = encode(buf, sizeof(buf), off, &links[i]->link, RTM_NEWLINK, r->w->dump_seq);
	off = psd_nl_build_done(buf, sizeof(buf), off, r->w->dump_seq, 0);
	if (r->w->listening && !r->w->exited)
		psd_world_datagram(r->w, buf, off, true);
}

/* Before each step: the DUMP lines answer the outstanding dump, or the kernel truth does. */
static void settle_dump(struct run *r)
{
	if (r->dump_count > 0) {
		answer_dump(r, r->dump, r->dump_count);
		r->dump_count = 0;
	} else if (r->w->dump_seq != r->served_seq && r->w->dump_seq != 0) {
		answer_dump(r, r->kernel_now, r->kernel_now_count);
	}
}

static void push_loss(struct run *r)
{
	struct psd_event ev = {.type = PSD_EV_NL_LOSS};
	ev.u.loss = PSD_LOSS_ENOBUFS;
	psd_world_push(r->w, &ev);
	psd_world_settle(r->w);
}

/* The daemon read the event socket until it was empty. */
static void drained(struct run *r)
{
	struct psd_event ev = {.type = PSD_EV_NL_DRAINED};
	if (r->w->listening && !r->w->exited) {
		psd_world_push(r->w, &ev);
		psd_world_settle(r->w);
	}
}

static void deliver(struct run *r, const struct step *s)
{
	uint8_t buf[512];
	size_t len = encode(buf, sizeof(buf), 0, &s->link, s->link.type, 0);
	if (r->w->listening && !r->w->exited)
		psd_world_datagram(r->w, buf, len, false);
}

/* As Linux does: a full receive queue keeps what it holds and loses what comes after it. */
static void event(struct run *r, const struct step *s)
{
	if (r->overrun_left > 0) { /* lost in the full socket buffer */
		if (--r->overrun_left == 0 && !r->paused) {
			push_loss(r);
			drained(r);
		}
		r->loss_pending = r->paused;
		return;
	}
	if (r->paused) {
		r->backlog[r->backlog_count++] = s; /* no more than the fixture's steps */
		return;
	}
	deliver(r, s);
	drained(r);
}

/* The daemon reads again: ENOBUFS first, then everything queued before the loss. */
static void resume(struct run *r)
{
	r->paused = false;
	if (r->loss_pending)
		push_loss(r);
	r->loss_pending = false;
	for (unsigned i = 0; i < r->backlog_count; i++)
		deliver(r, r->backlog[i]);
	r->backlog_count = 0;
	drained(r);
}

/* Feeds a capture; its dump answers get the sequence number of the dump the core asks for now. */
static void replay(struct run *r, const struct step *s)
{
	char path[2 * PSD_FIXTURE_NAME_MAX], err[512];
	const char *slash = strrchr(r->f->name, '/');
	int dir = slash != NULL ? (int)(slash - r->f->name) + 1 : 0;
	snprintf(path, sizeof(path), "%.*s%s", dir, r->f->name, s->text);
	struct psd_pcap_reader *in = psd_pcap_open(path, err, sizeof(err));
	struct psd_pcap_record rec;
	uint32_t answered = 0; /* the dump whose recorded answer has ended */
	int got = in != NULL ? 1 : -1;
	while (in != NULL && (got = psd_pcap_next(in, &rec, err, sizeof(err))) > 0) {
		struct psd_event ev = {.type = PSD_EV_NL_LOSS};
		enum psd_pcap_mark mark = psd_pcap_mark_of(&rec, &ev.u.loss);
		if (mark != PSD_PCAP_DATAGRAM) { /* as the daemon's replay feeds it */
			ev.type = mark == PSD_PCAP_LOSS ? PSD_EV_NL_LOSS : PSD_EV_NL_DRAINED;
			if (r->w->listening && !r->w->exited) {
				psd_world_push(r->w, &ev);
				psd_world_settle(r->w);
			}
			continue;
		}
		if (rec.from_dump) { /* as the daemon's replay: a dump answers a request */
			for (unsigned t = 0; r->w->dump_seq == answered && t < PSD_FIXTURE_DUMP_WAIT_TICKS &&
					     r->w->timer_due_ns != UINT64_MAX; t++)
				psd_world_tick(r->w);
			psd_pcap_resequence((uint8_t *)rec.bytes, rec.len, r->w->dump_seq);
			r->served_seq = r->w->dump_seq;
		}
		if (r->w->listening && !r->w->exited)
			psd_world_datagram(r->w, rec.bytes, rec.len, rec.from_dump);
		if (rec.from_dump && psd_pcap_ends_dump(&rec))
			answered = r->served_seq;
	}
	if (got < 0)
		report(r, s, "%s", err);
	psd_pcap_close(in);
}

static void redis_down(struct run *r, uint64_t ms)
{
	psd_world_redis_down(r->w);
	for (uint64_t t = 0; t < ms; t += 100) {
		psd_world_advance(r->w, 100 * MS);
		psd_world_refuse_connects(r->w);
	}
	psd_world_redis_up(r->w);
}

static size_t trace_first(const struct psd_world *w, const char *text)
{
	for (size_t i = 0; i < w->trace_count; i++)
		if (strstr(w->trace[i], text) != NULL)
			return i;
	return SIZE_MAX;
}

static int32_t ifindex_of(const struct run *r, const char *name)
{
	for (unsigned i = 0; i < r->f->count; i++) {
		const struct step *s = &r->f->steps[i];
		if ((s->kind == S_KERNEL0 || s->kind == S_KERNEL_NOW) &&
		    strcmp(s->link.name, name) == 0)
			return s->link.ifindex;
	}
	return 0;
}

static void expect(struct run *r, const struct step *s)
{
	struct psd_world *w = r->w;
	const char *db = s->db == PSD_WORLD_CONFIG ? "CONFIG_DB" :
			 s->db == PSD_WORLD_APPL   ? "APPL_DB" :
						     "STATE_DB";
	switch (s->kind) {
	case S_EXPECT:
		if (!psd_model_exists(&w->m, s->db, s->key)) {
			report(r, s, "expected %s %s, which does not exist", db, s->key);
			return;
		}
		for (unsigned i = 0; i < s->nfields; i++) {
			const char *got = psd_model_hget(&w->m, s->db, s->key, s->fields[i].name);
			if (got == NULL || strcmp(got, s->fields[i].value) != 0)
				report(r, s, "%s %s field %s: expected \"%s\", got %s%s%s", db, s->key,
				       s->fields[i].name, s->fields[i].value, got ? "\"" : "",
				       got ? got : "no such field", got ? "\"" : "");
		}
		return;
	case S_EXPECT_ABSENT:
		if (psd_model_exists(&w->m, s->db, s->key))
			report(r, s, "expected %s %s to be absent; it exists", db, s->key);
		return;
	case S_EXPECT_DOWN: {
		int32_t ifindex = ifindex_of(r, s->text);
		bool found = false;
		for (size_t i = 0; i < w->down_count; i++)
			found = found || w->downs[i] == ifindex;
		if (!found)
			report(r, s, "expected %s (ifindex %d) brought down; it was not", s->text,
			       ifindex);
		return;
	}
	case S_EXPECT_NO_DOWN:
		if (w->down_count > 0)
			report(r, s, "expected no interface brought down; ifindex %d was", w->downs[0]);
		return;
	case S_EXPECT_ORDER: {
		size_t a = trace_first(w, s->text), b = trace_first(w, s->key);
		if (a == SIZE_MAX || b == SIZE_MAX || a > b)
			report(r, s, "expected a command with \"%s\" (%s) before one with \"%s\" (%s)",
			       s->text, a == SIZE_MAX ? "never sent" : "sent", s->key,
			       b == SIZE_MAX ? "never sent" : "sent");
		return;
	}
	case S_EXPECT_COUNT: {
		uint64_t n = 0;
		for (size_t i = 0; i < w->trace_count; i++)
			n += strstr(w->trace[i], s->text) != NULL;
		if (n != s->number)
			report(r, s, "expected %llu commands with \"%s\", got %llu",
			       (unsigned long long)s->number, s->text, (unsigned long long)n);
		return;
	}
	case S_EXPECT_LOG:
		if (!psd_world_logged(w, s->text))
			report(r, s, "expected a log line with \"%s\"; none", s->text);
		return;
	default:
		return;
	}
}

static void restart(struct run *r, const struct step *s)
{
	if (strcmp(s->text, "warm") == 0)
		psd_model_hset(&r->w->m, PSD_WORLD_STATE, "WARM_RESTART_ENABLE_TABLE|swss", "enable",
			       "true");
	r->w->iface_count = 0; /* the kernel as it is now */
	for (unsigned i = 0; i < r->kernel_now_count && i < 16; i++)
		psd_world_add_iface(r->w, r->kernel_now[i]->link.ifindex,
				    r->kernel_now[i]->link.name);
	r->served_seq = 0;
	psd_world_restart(r->w);
}

static void step(struct run *r, const struct step *s)
{
	struct psd_world *w = r->w;
	if (s->kind != S_DUMP && s->kind != S_INIT && s->kind != S_KERNEL0 && s->kind != S_START)
		settle_dump(r);
	if (s->kind != S_KERNEL_NOW)
		r->kernel_now_open = false;
	switch (s->kind) {
	case S_INIT:
	case S_EXT_WRITE:
		for (unsigned i = 0; i < s->nfields; i++)
			psd_model_hset(&w->m, s->db, s->key, s->fields[i].name, s->fields[i].value);
		return;
	case S_KERNEL0:
		if (w->iface_count < 16)
			psd_world_add_iface(w, s->link.ifindex, s->link.name);
		r->kernel_now[r->kernel_now_count++] = s; /* also what a dump returns, until KERNEL_NOW */
		return;
	case S_START:
		psd_world_start(w);
		return;
	case S_DUMP:
		if (r->dump_count < PSD_FIXTURE_DUMP_MAX)
			r->dump[r->dump_count++] = s;
		return;
	case S_LINK:
		event(r, s);
		return;
	case S_CONSUME:
		psd_model_consume(&w->m, PSD_WORLD_APPL);
		return;
	case S_EXT_DEL: {
		const char *argv[] = {"DEL", s->key};
		size_t len[] = {3, strlen(s->key)};
		struct psd_reply reply;
		psd_model_exec(&w->m, s->db, 2, argv, len, &reply);
		return;
	}
	case S_OVERRUN:
		r->overrun_left = s->number;
		return;
	case S_PAUSE:
		r->paused = true;
		return;
	case S_RESUME:
		resume(r);
		return;
	case S_REDIS_DOWN:
		redis_down(r, s->number);
		return;
	case S_RESTART:
		restart(r, s);
		return;
	case S_KERNEL_NOW:
		if (!r->kernel_now_open)
			r->kernel_now_count = 0;
		r->kernel_now_open = true;
		if (r->kernel_now_count < PSD_FIXTURE_DUMP_MAX)
			r->kernel_now[r->kernel_now_count++] = s;
		return;
	case S_WAIT:
		psd_world_advance(w, s->number * MS);
		return;
	case S_PCAP:
		replay(r, s);
		return;
	default:
		expect(r, s);
		return;
	}
}

unsigned psd_fixture_run(const struct psd_fixture *f, bool compat, FILE *out, FILE *commands)
{
	static struct run r;
	memset(&r, 0, sizeof(r));
	r.f = f;
	r.out = out;
	r.w = psd_world_new();
	r.w->cfg.compat = compat;
	r.w->command_log = commands;
	r.w->cfg.seed = 1;
	r.w->lim.ports_max = 256;
	for (unsigned i = 0; i < f->count; i++)
		if (f->steps[i].modes & (compat ? MODE_COMPAT : MODE_FIELD))
			step(&r, &f->steps[i]);
	if (r.paused)
		resume(&r);
	settle_dump(&r);
	psd_world_free(r.w);
	return r.failed;
}
