/* The Dockerfile language: the parser (BuildKit's frontend/dockerfile/parser
 * rules), the shell-word expander (BuildKit's frontend/dockerfile/shell
 * lexer) and the checker that resolves stages, ARG scoping and expansion the
 * way the builder will.
 *
 * Ownership: build_dockerfile_parse() returns a struct dockerfile that owns
 * every string and array below it; free it with build_dockerfile_free().
 * Strings returned through ret_* parameters belong to the caller.
 *
 * Invariants of a parsed file: n_instrs >= 1; every instruction has a
 * non-NULL cmd, name (lowercase cmd), original, flags and args (strvs,
 * possibly empty); 1 <= start_line <= end_line; pairs is set only for ENV
 * and LABEL, trigger only for an ONBUILD with an argument.  Arguments are
 * kept exactly as written: variables are expanded later, per instruction,
 * by the checker or the builder. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

struct jv;

/* ---- shell-word expansion ---------------------------------------------- */

/* Where the expander looks variables up.  get() returns true and sets
 * *ret_value (borrowed) when NAME is set, even to "". */
struct shell_env {
        bool (*get)(void *userdata, const char *name, const char **ret_value);
        void *userdata;
};

/* An env backed by a strv of "KEY=VALUE" entries (a bare "KEY" is set to
 * ""); the last entry for a key wins. */
bool build_shell_env_strv_get(void *strv, const char *name, const char **ret_value);
#define SHELL_ENV_STRV(v) ((struct shell_env){build_shell_env_strv_get, (void *)(v)})

enum {
        SHELL_RAW_QUOTES = 1 << 0,  /* keep quote characters in the output */
        SHELL_RAW_ESCAPES = 1 << 1, /* keep escape characters in the output */
        SHELL_SKIP_QUOTES = 1 << 2, /* quotes are ordinary characters */
        SHELL_SKIP_UNSET = 1 << 3,  /* leave references to unset variables as written */
};

/* Limits on expansion, which a doubling ARG chain ("ARG B=$A$A", ...) or
 * many copies of one large variable would otherwise push until memory runs
 * out: no expanded word (nor any part of one) longer than MAX_WORD bytes,
 * and no more than MAX_TOTAL bytes produced by all expansions of this
 * process from this call on.  0 keeps the default (SHELL_MAX_WORD,
 * SHELL_MAX_TOTAL).  Exceeding either fails the expansion. */
#define SHELL_MAX_WORD  (1u << 20)
#define SHELL_MAX_TOTAL (64u << 20)
void build_shell_limits_set(size_t max_word, size_t max_total);

/* Expands WORD as one word (ProcessWord): quotes removed, spaces kept.
 * ret_matched / ret_unmatched (optional) receive the names looked up that
 * were set / unset, each once. */
int build_shell_expand_word(const char *word, uint32_t escape, int flags,
                            const struct shell_env *env, char **ret, char ***ret_matched,
                            char ***ret_unmatched, struct box_err *err);
/* Expands WORD and splits the result into words (ProcessWords). */
int build_shell_expand_words(const char *word, uint32_t escape, int flags,
                             const struct shell_env *env, char ***ret, struct box_err *err);

/* ---- the parsed file --------------------------------------------------- */

struct dockerfile_heredoc {
        char *name;    /* the delimiter word, quotes removed */
        char *content; /* the lines up to the delimiter, each with its newline */
        uint64_t fd;   /* the N of N<<EOF, else 0 */
        bool expand;   /* false when any part of the delimiter was quoted */
        bool chomp;    /* <<-EOF: leading tabs are stripped */
};

struct dockerfile_pair {
        char *key;
        char *value; /* as written, quotes and escapes kept */
};

struct dockerfile_instr {
        char *cmd;      /* the instruction name as written */
        char *name;     /* lowercase */
        char *original; /* the logical line: continuations joined, comments dropped */
        char **flags;   /* "--from=base", as written (quotes removed) */
        char **args;    /* the arguments before expansion (see header comment) */
        bool json;      /* exec (JSON array) form */
        struct dockerfile_pair *pairs; /* ENV, LABEL */
        size_t n_pairs;
        bool legacy; /* ENV/LABEL "key value" form */
        struct dockerfile_heredoc *heredocs;
        size_t n_heredocs;
        struct dockerfile_instr *trigger; /* ONBUILD's instruction */
        int start_line, end_line;
};

struct dockerfile {
        char *syntax, *escape, *check; /* parser directives, NULL when absent */
        uint32_t escape_token;         /* '\\' or '`' */
        struct dockerfile_instr *instrs;
        size_t n_instrs;
        char **warnings; /* "LINE: message" for empty continuation lines */
};

/* Parses DATA (LEN bytes, need not be NUL-terminated).  NAME labels error
 * messages: "NAME:LINE: message".  Syntax only: instruction names are
 * checked, flags and argument counts are left to build_dockerfile_check(). */
int build_dockerfile_parse(const char *name, const char *data, size_t len, struct dockerfile **ret,
                           struct box_err *err);
/* The same without checking instruction names, as BuildKit's parser package
 * does: an unknown instruction becomes a node with one empty argument. */
int build_dockerfile_parse_ast(const char *name, const char *data, size_t len,
                               struct dockerfile **ret, struct box_err *err);
void build_dockerfile_free(struct dockerfile *df);
static inline void build_dockerfile_freep(struct dockerfile **df)
{
        build_dockerfile_free(*df);
}
#define _cleanup_dockerfile_ _cleanup_(build_dockerfile_freep)

/* The parse tree as BuildKit's AST dump: one "(cmd ["--flag"] "arg" ...)"
 * line per instruction.  Caller frees. */
char *build_dockerfile_dump(const struct dockerfile *df);
/* {"directives": {...}, "instructions": [...]}; caller owns the value. */
struct jv *build_dockerfile_to_json(const struct dockerfile *df);

/* The value of IN's last --NAME=VALUE flag, or NULL. */
const char *build_dockerfile_flag_value(const struct dockerfile_instr *in, const char *name);

/* ---- checking: what the builder will do, without building -------------- */

/* Validates every instruction (flags, argument counts, ports, signals,
 * durations), resolves stages and ARG/ENV scoping with BUILD_ARGS ("K=V",
 * or "K" to take the value from the environment) and expands variables
 * where Docker expands them.  Warnings ("NAME:LINE: message") go to
 * *ret_warnings (always set on success, possibly empty). */
int build_dockerfile_check(const char *name, const struct dockerfile *df, char *const *build_args,
                           char ***ret_warnings, struct box_err *err);

/* A build stage as the checker resolved it, for the builder. */
struct dockerfile_stage {
        char *name;     /* the AS name, lowercase, or NULL */
        char *base;     /* the FROM image or earlier stage, variables expanded */
        char *platform; /* --platform, expanded, or NULL */
        size_t first;   /* index of the stage's FROM in instrs */
        size_t end;     /* one past the stage's last instruction */
        char **env;     /* "K=V" set by the stage's ENV and ARG (and its base
                         * stage), without the base image's own environment */
        char **args;    /* the ARG names the stage declares */
        size_t *deps;   /* the stages it reads: FROM an earlier stage, COPY/ADD
                         * --from and RUN --mount from= any stage */
        size_t n_deps;
};

/* build_dockerfile_check() that also returns the stages (an array of
 * *ret_n_stages, free with build_dockerfile_stages_free()).  ARGs before the
 * first FROM are seen only by FROM lines and by a stage's "ARG NAME" that
 * redeclares them; BUILD_ARGS override declared defaults. */
int build_dockerfile_resolve(const char *name, const struct dockerfile *df, char *const *build_args,
                             struct dockerfile_stage **ret_stages, size_t *ret_n_stages,
                             char ***ret_warnings, struct box_err *err);
void build_dockerfile_stages_free(struct dockerfile_stage *stages, size_t n);

/* Everything the one stage and ARG resolver finds, for the builder and for
 * `box dockerfile check` alike. */
struct dockerfile_resolved {
        struct dockerfile_stage *stages;
        size_t n_stages;
        char **global;     /* "K=V" FROM lines see: the platform ARGs (the host's
                            * architecture), then the ARGs before the first FROM */
        char **meta_args;  /* the names the ARGs before the first FROM declare */
        char **build_args; /* BUILD_ARGS as "K=V": a bare name takes its value from
                            * the environment (unset: dropped), a later one wins */
        char **warnings;
        size_t *order; /* the n_stages stages, each after every stage it reads */
};

/* build_dockerfile_resolve() with all it found.  TARGET is the stage the
 * build stops at (TARGETSTAGE), NULL for the last.  CONTEXTS are the
 * --build-context "NAME=VALUE"s (may be NULL): a stage of such a NAME is
 * the context, not its steps, so it reads no other stage (BuildKit). */
int build_dockerfile_resolve_all(const char *name, const struct dockerfile *df,
                                 char *const *build_args, const char *target, char *const *contexts,
                                 struct dockerfile_resolved *ret, struct box_err *err);
void build_dockerfile_resolved_release(struct dockerfile_resolved *res);

/* Per-instruction validation alone (no expansion). */
int build_dockerfile_instr_validate(const char *name, const struct dockerfile_instr *in,
                                    struct box_err *err);

/* STOPSIGNAL's signal as moby/sys/signal.ParseSignal takes it: a number or
 * a name, with or without SIG. */
bool build_signal_valid(const char *s);
/* One EXPOSE word, expanded: [[ip:]host:]port[-port][/tcp|udp|sctp].
 * *ret_upper is set when the protocol has capitals.  Errors "FILE:LINE: ...". */
int build_port_check(const char *file, int line, const char *raw, bool *ret_upper,
                     struct box_err *err);

/* Go's time.ParseDuration, in nanoseconds. */
int build_parse_duration(const char *s, int64_t *ret_ns);

/* MustParseHeredoc: is CMD, a RUN's whole command line, one heredoc operator
 * and nothing else?  BuildKit then runs that heredoc's content itself. */
bool build_dockerfile_heredoc_alone(const char *cmd);
/* A heredoc's data as BuildKit hands it to COPY and RUN: for <<-, every
 * line's leading tabs removed (ChompHeredocContent).  Caller frees. */
char *build_dockerfile_heredoc_data(const struct dockerfile_heredoc *hd);
/* Is W a heredoc's start (<<EOF, <<-EOF, 2<<EOF) as BuildKit reads it? */
bool build_dockerfile_is_heredoc_word(const char *w);
/* Sets ERR to "FILE:LINE: message" (EINVAL) and returns -EINVAL: the one
 * shape of every Dockerfile error. */
int build_dockerfile_fail_at(struct box_err *err, const char *file, int line, const char *fmt, ...)
        _printf_(4, 5);

/* The proxy variables: ARGs every build knows without a declaration.  They
 * reach RUN steps as environment, but neither the cache key nor history. */
bool build_arg_is_predefined(const char *name);
