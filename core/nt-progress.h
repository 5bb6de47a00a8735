/* nt-progress.h: progress of long work on stderr: a bar with rate and ETA
 * on a terminal, plain log lines (about every 10 %) otherwise. */
#ifndef NT_PROGRESS_H
#define NT_PROGRESS_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _NtProgress NtProgress;

/* Starts a progress report of `total` units (`unit`: "img", "step", ...),
 * labelled `label`. Set $NULLTOOL_PROGRESS=0 to silence, =1 to force the bar.
 * Caller frees with nt_progress_free. */
NtProgress *nt_progress_new (const char *label, guint64 total,
                             const char *unit);
/* Reports `done` units so far; `extra` (may be NULL) is shown after the bar,
 * e.g. "loss 0.123". Cheap to call often: output is throttled. */
void nt_progress_update (NtProgress *p, guint64 done, const char *extra);
/* Final line with the total time and rate; frees `p`. */
void nt_progress_finish (NtProgress *p, const char *extra);
void nt_progress_free (NtProgress *p);

G_END_DECLS
#endif
