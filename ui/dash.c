/* dash.c - the dashboard's loop (dash.h): one poll() over the engine's
 * descriptors, the terminal, the signal self-pipe, the packet dir's
 * inotify watch and a pager; a redraw only when something changed, or once
 * a second for the clock and spinner while a track runs or a countdown is
 * shown. Keys map to actions through keys.c's table. */
#define _GNU_SOURCE
#include "dash_int.h"
#include "../src/clock.h"
#include "keys.h"
#include "packetdeck/pathutil.h"
#include "packetdeck/runner.h"
#include "packetdeck/state.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void on_event(void *ctx, const pd_event *e)
{
	dash *d = ctx;

	ui_model_event(&d->m, e);
	dash_notify_event(d, e);
	if (e->type != PD_EV_WAITING && e->type != PD_EV_NOTICE) {
		long i = e->track >= 0 ? pd_dag_find(d->pd->dag, e->track) : -1;

		d->stale = true; /* the run lock, at least */
		if (i >= 0)
			dash_stale(d, (size_t)i);
	}
	d->dirty = true;
}

static void on_output(void *ctx, long track, const char *data, size_t len)
{
	dash *d = ctx;

	(void)data;
	(void)len;
	if (track == d->pd->manifest->tracks[d->m.sel].id && d->m.out_scroll == 0)
		d->dirty = true;
}

void dash_stale(dash *d, size_t index)
{
	size_t k;

	d->stale = true;
	if (d->stale_all)
		return;
	if (index == PD_NO_TRACK || d->nstale == DASH_STALE_MAX) {
		d->stale_all = true;
		return;
	}
	for (k = 0; k < d->nstale; k++)
		if (d->stale_idx[k] == index)
			return;
	d->stale_idx[d->nstale++] = index;
}

/* A full rescan costs O(tracks): it runs every 2 s, or less often when
 * the dir is large, so that it takes at most 0.1% of a core while inotify
 * reports changes (5% where inotify is unavailable). */
static void rescan_cost(dash *d, long ms)
{
	long every = ms * (d->watch && pd_watch_fd(d->watch) >= 0 ? 1000 : 20);

	d->scan_every = every > 2000 ? every : 2000;
}

void dash_fresh(dash *d)
{
	long t0 = pd_now_ms();
	bool changed = false;

	if (!d->stale)
		return;
	if (ui_model_refresh(&d->m, d->stale_all ? NULL : d->stale_idx, d->nstale, &changed) < 0)
		return; /* out of memory: try again at the next change */
	if (d->stale_all)
		rescan_cost(d, pd_now_ms() - t0);
	d->stale = d->stale_all = false;
	d->nstale = 0;
	if (changed)
		d->dirty = true;
}

int dash_engine_start(dash *d, bool resume, long restart_track)
{
	int error;

	pd_engine_free(d->e);
	d->e = NULL;
	d->done_seen = false;
	d->limit_seen = 0;
	d->eo = d->o.engine;
	d->eo.resume = resume;
	d->eo.restart_track = restart_track;
	d->eo.on_event = on_event;
	d->eo.on_output = on_output;
	d->eo.ctx = d;
	if ((error = pd_engine_new(&d->e, d->pd, &d->eo)) < 0 || (error = pd_engine_start(d->e)) < 0) {
		d->status = error == PD_ELOCKED ? PD_EXIT_LOCKED : PD_EXIT_USAGE;
		pd_engine_free(d->e);
		d->e = NULL;
		return -1;
	}
	d->m.phase = "running";
	d->dirty = true;
	return 0;
}

void dash_quit(dash *d, int status)
{
	d->status = status;
	d->quit = true;
}

/* The selected track's whole log in $PAGER, on the terminal, while the
 * loop goes on serving the engine (nothing is drawn until it exits). */
void dash_open_log(dash *d)
{
	char *path = pd_state_file(d->pd->manifest->dir, d->pd->manifest->tracks[d->m.sel].id, "log");
	const char *pager = getenv("PAGER");
	pd_template_var var = {"log", path};
	char **argv = NULL;
	pid_t pid;

	if (!path)
		return;
	if (access(path, R_OK) != 0) {
		free(d->m.notice);
		d->m.notice = strdup("no log for this track yet");
		d->dirty = true;
		free(path);
		return;
	}
	if (!pager || !*pager)
		pager = "less";
	{
		char tmpl[512];

		snprintf(tmpl, sizeof(tmpl), "%s {log}", pager);
		if (pd_template_expand(&argv, tmpl, &var, 1) < 0) {
			free(path);
			return;
		}
	}
	ui_term_suspend(d->term);
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) == 0) {
		d->pager = pid;
		d->pager_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	} else {
		ui_term_resume(d->term);
		free(d->m.notice);
		d->m.notice = strdup("cannot start $PAGER");
	}
	pd_argv_free(argv);
	free(path);
	d->dirty = true;
}

static void pager_done(dash *d)
{
	int ws;

	if (!d->pager || waitpid(d->pager, &ws, WNOHANG) != d->pager)
		return;
	d->pager = 0;
	if (d->pager_fd >= 0)
		close(d->pager_fd);
	d->pager_fd = -1;
	ui_term_resume(d->term);
	d->dirty = true;
}

static void draw(dash *d)
{
	int rows, cols;
	ui_view_extra x = {d->frame, time(NULL),
			   "? help · j/k select · g list · Tab output · l log · r resume · q quit",
			   d->output_focus};

	if (d->merge || (d->e && d->done_seen && d->status == PD_EXIT_OK))
		x.keys_hint = "? help · j/k select · g list · Tab output · l log · m merge · q quit";
	if (d->m.watch)
		x.keys_hint = "? help · j/k select · g list · Tab output · l log · q quit (watching: read-only)";
	ui_term_size(d->term, &rows, &cols);
	if (rows != d->canvas.rows || cols != d->canvas.cols) {
		ui_canvas_free(&d->canvas);
		if (ui_canvas_init(&d->canvas, rows, cols, d->o.ascii) < 0)
			return;
	}
	dash_fresh(d);
	ui_view_draw(&d->canvas, &d->m, &x);
	{
		ui_regions g;

		ui_view_regions(&d->canvas, &g);
		if (!g.too_small)
			ui_dialog_draw(&d->canvas, &d->dlg);
	}
	ui_term_show(d->term, &d->canvas);
	d->dirty = false;
}

/* The engine's question, as a dialog (or the option's answer). */
static void engine_asks(dash *d)
{
	pd_ask ask;

	if (!d->e)
		return;
	dash_fresh(d); /* the dialogs quote the files */
	ask = pd_engine_ask(d->e);
	if (ask == PD_ASK_BLOCKED && d->dlg.kind != UI_DLG_BLOCKED) {
		if (strcmp(d->o.on_blocked, "ask") != 0)
			pd_engine_answer(d->e, strcmp(d->o.on_blocked, "wait") == 0 ? PD_ANSWER_WAIT
										: PD_ANSWER_ABORT);
		else
			dash_ask_blocked(d);
		d->dirty = true;
	} else if (ask == PD_ASK_HANDOFF && d->dlg.kind != UI_DLG_HANDOFF) {
		if (strcmp(d->o.handoff, "ask") != 0)
			pd_engine_answer(d->e, strcmp(d->o.handoff, "stop") == 0 ? PD_ANSWER_STOP
										  : PD_ANSWER_CONTINUE);
		else
			dash_ask_handoff(d);
		d->dirty = true;
	} else if (ask == PD_ASK_NONE && d->dlg.kind == UI_DLG_NONE) {
		pd_engine_limit_info li;

		if (pd_engine_limit(d->e, &li) && li.tries != d->limit_seen) {
			dash_show_limited(d);
			d->dirty = true;
		}
	} else if (ask == PD_ASK_DONE && !d->done_seen) {
		int st = pd_engine_exit_status(d->e);

		d->done_seen = true;
		d->status = st;
		d->dirty = true;
		if (st == PD_EXIT_FAILED) {
			d->m.phase = "failed";
			dash_show_failure(d);
		} else if (st == PD_EXIT_OK) {
			d->m.phase = "completed";
		} else {
			dash_quit(d, st); /* aborted, stopped for handoff */
		}
	}
}

static void mouse(dash *d, const ui_input *in)
{
	ui_regions g;

	if (d->dlg.kind != UI_DLG_NONE) {
		int hit = ui_dialog_hit(&d->dlg, in->y, in->x);

		if (hit >= 0)
			dash_dialog_choose(d, d->dlg.choices[hit].id);
		else if (hit <= -2)
			d->dlg.item = -2 - hit;
		d->dirty = true;
		return;
	}
	ui_view_regions(&d->canvas, &g);
	if (in->y >= g.dag.y && in->y < g.dag.y + g.dag.h && in->x >= g.dag.x && in->x < g.dag.x + g.dag.w) {
		size_t t = PD_NO_TRACK;

		if (d->m.list) {
			size_t k = d->m.list_top + (size_t)(in->y - g.dag.y);

			t = k < d->m.norder ? d->m.order[k] : PD_NO_TRACK;
		} else {
			t = ui_model_track_at(&d->m, in->y - g.dag.y + d->m.pan_y, in->x - g.dag.x + d->m.pan_x);
		}
		if (t != PD_NO_TRACK)
			ui_model_select(&d->m, t);
		d->output_focus = false;
	} else if (in->y >= g.output.y && in->y < g.output.y + g.output.h) {
		d->output_focus = true;
	}
	d->dirty = true;
}

static void key(dash *d, int code)
{
	ui_action a = ui_key_action(code);
	ui_regions g;
	long page;

	ui_view_regions(&d->canvas, &g);
	page = g.output.h > 1 ? g.output.h - 1 : 1;
	d->dirty = true;
	if (d->dlg.kind != UI_DLG_NONE) {
		dash_dialog_key(d, code, a);
		return;
	}
	if (d->output_focus) {
		switch (a) {
		case UI_ACT_UP: d->m.out_scroll++; return;
		case UI_ACT_DOWN: d->m.out_scroll = d->m.out_scroll > 0 ? d->m.out_scroll - 1 : 0; return;
		case UI_ACT_PAGE_UP: d->m.out_scroll += page; return;
		case UI_ACT_PAGE_DOWN: d->m.out_scroll = d->m.out_scroll > page ? d->m.out_scroll - page : 0; return;
		case UI_ACT_FIRST: d->m.out_scroll = 1L << 40; return;
		case UI_ACT_LAST: d->m.out_scroll = 0; return;
		default: break;
		}
	}
	switch (a) {
	case UI_ACT_DOWN: ui_model_move(&d->m, 1); break;
	case UI_ACT_UP: ui_model_move(&d->m, -1); break;
	case UI_ACT_LEFT: ui_model_move_layer(&d->m, -1); break;
	case UI_ACT_RIGHT: ui_model_move_layer(&d->m, 1); break;
	case UI_ACT_PAGE_DOWN: ui_model_move(&d->m, g.dag.h > 2 ? g.dag.h / 2 : 1); break;
	case UI_ACT_PAGE_UP: ui_model_move(&d->m, -(g.dag.h > 2 ? g.dag.h / 2 : 1)); break;
	case UI_ACT_FIRST: ui_model_move(&d->m, -(int)d->m.norder); break;
	case UI_ACT_LAST: ui_model_move(&d->m, (int)d->m.norder); break;
	case UI_ACT_VIEW: d->m.list = !d->m.list; break;
	case UI_ACT_FOCUS: d->output_focus = !d->output_focus; break;
	case UI_ACT_ENTER:
		if (ui_model_state(&d->m, d->m.sel) == PD_STATE_FAILED ||
		    ui_model_state(&d->m, d->m.sel) == PD_STATE_INTERRUPTED)
			dash_resume_menu(d);
		break;
	case UI_ACT_FIND:
		ui_dialog_open(&d->dlg, UI_DLG_FIND, "find a track");
		ui_dialog_line(&d->dlg, UI_DIM, "name or id, Enter to find, Esc to cancel");
		d->dlg.width = 44;
		break;
	case UI_ACT_FIND_NEXT:
		if (!ui_model_find(&d->m, d->m.filter)) {
			free(d->m.notice);
			d->m.notice = strdup("no match");
		}
		break;
	case UI_ACT_LOG: dash_open_log(d); break;
	case UI_ACT_RAW: d->m.out_raw = !d->m.out_raw; break;
	case UI_ACT_RESUME_MENU:
		if (!d->m.watch && !dash_resume_menu(d)) {
			free(d->m.notice);
			d->m.notice = strdup("no failed or interrupted track to resume");
		}
		break;
	case UI_ACT_MERGE: dash_merge_key(d); break;
	case UI_ACT_HELP: dash_show_help(d); break;
	case UI_ACT_QUIT: dash_ask_quit(d); break;
	case UI_ACT_REDRAW: ui_term_redraw(d->term); break;
	default: d->dirty = false; break;
	}
}

static void signalled(dash *d)
{
	char sig = 0;

	if (read(d->o.stop_fd, &sig, 1) < 0)
		sig = SIGTERM;
	{
		char why[48];

		snprintf(why, sizeof(why), "stopped by SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
		if (d->e && pd_engine_ask(d->e) != PD_ASK_DONE)
			pd_engine_interrupt(d->e, why);
		dash_merge_interrupt(d, why);
	}
	dash_quit(d, PD_EXIT_ABORTED);
}

/* The terminal went away: stop as for SIGHUP. */
static void hangup(dash *d)
{
	if (d->e && pd_engine_ask(d->e) != PD_ASK_DONE)
		pd_engine_interrupt(d->e, "the terminal went away");
	dash_merge_interrupt(d, "the terminal went away");
	dash_quit(d, PD_EXIT_ABORTED);
}

/* Is `name` (as the watch reports it, relative to the packet dir) the
 * selected track's packet file? */
static bool shown_packet(const dash *d, const char *name)
{
	const pd_manifest *m = d->pd->manifest;
	const char *p = m->tracks[d->m.sel].packet_path;
	const char *rel = p ? pd_path_below(p, m->dir_real) : NULL;

	return rel && strcmp(rel, name) == 0;
}

/* inotify named files: re-read the tracks they belong to. */
static void watched(dash *d)
{
	const char *name;

	while (pd_watch_next(d->watch, &name) > 0) {
		long id = name ? pd_state_file_track(name) : -1;
		long i = id >= 0 ? pd_dag_find(d->pd->dag, id) : -1;

		if (!name) {
			dash_stale(d, PD_NO_TRACK); /* the watch lost count: anything may have changed */
			d->m.packet_known = false;
		} else if (i >= 0) {
			dash_stale(d, (size_t)i);
		} else if (strstr(name, "run.lock")) {
			d->stale = true; /* a refresh reads the run lock in any case */
		} else if (shown_packet(d, name)) {
			d->m.packet_known = false; /* the detail pane reads it again */
			d->dirty = true;
		}
	}
}

static bool something_moves(const dash *d)
{
	long a, b;

	pd_engine_limit_info li;

	return (d->e && (pd_engine_running(d->e) || pd_engine_waiting(d->e, &a, &b) ||
			 pd_engine_limit(d->e, &li))) ||
	       d->handoff_deadline || (d->m.watch && d->m.running != PD_NO_TRACK);
}

static int loop(dash *d)
{
	long next_tick = pd_now_ms() + 1000, next_scan = pd_now_ms() + 2000;

	while (!d->quit) {
		struct pollfd fds[PD_ENGINE_MAX_FDS + 4];
		size_t n = 0, ne = 0;
		int timeout = -1, t_in, t_stop, t_watch = -1, t_pager = -1, t_merge = -1, merge_fd;
		bool merge_now = false;
		long now;

		engine_asks(d);
		if (d->quit)
			break;
		dash_fresh(d);
		if (d->dirty && !d->pager)
			draw(d);
		if (d->e)
			ne = n = pd_engine_pollfds(d->e, fds, &timeout);
		t_in = (int)n;
		fds[n++] = (struct pollfd){d->pager ? -1 : fileno(d->o.in ? d->o.in : stdin), POLLIN, 0};
		t_stop = (int)n;
		fds[n++] = (struct pollfd){d->o.stop_fd, POLLIN, 0};
		if (d->watch && pd_watch_fd(d->watch) >= 0) {
			t_watch = (int)n;
			fds[n++] = (struct pollfd){pd_watch_fd(d->watch), POLLIN, 0};
		}
		if ((merge_fd = dash_merge_pollfd(d, &merge_now)) >= 0) {
			t_merge = (int)n;
			fds[n++] = (struct pollfd){merge_fd, POLLIN, 0};
		}
		if (d->pager && d->pager_fd >= 0) {
			t_pager = (int)n;
			fds[n++] = (struct pollfd){d->pager_fd, POLLIN, 0};
		}
		now = pd_now_ms();
		if (something_moves(d) && (timeout < 0 || next_tick - now < timeout))
			timeout = next_tick > now ? (int)(next_tick - now) : 0;
		/* the periodic rescan, in case inotify missed something */
		if (timeout < 0 || next_scan - now < timeout)
			timeout = next_scan > now ? (int)(next_scan - now) : 0;
		if (d->pager && d->pager_fd < 0 && (timeout < 0 || timeout > 200))
			timeout = 200;
		if (dash_notify_timeout(d) >= 0 && (timeout < 0 || dash_notify_timeout(d) < timeout))
			timeout = dash_notify_timeout(d);
		if (merge_now)
			timeout = 0;
		if (poll(fds, n, timeout) < 0) {
			if (errno != EINTR)
				break;
			/* a signal: SIGWINCH leaves KEY_RESIZE in curses' queue */
			fds[t_in].revents = fds[t_in].fd >= 0 ? POLLIN : 0;
		}
		now = pd_now_ms();
		if (fds[t_stop].revents & POLLIN) {
			signalled(d);
			continue;
		}
		if (t_pager >= 0 || d->pager)
			pager_done(d);
		if (fds[t_in].revents & (POLLHUP | POLLERR | POLLNVAL) && fds[t_in].fd >= 0) {
			hangup(d);
			continue;
		}
		if (fds[t_in].revents & POLLIN) {
			ui_input in;
			int got = 0;

			while (ui_term_read(d->term, &in)) {
				got++;
				if (in.resized) {
					ui_term_redraw(d->term);
					d->dirty = true;
				} else if (in.mouse) {
					mouse(d, &in);
				} else if (in.wheel_up || in.wheel_down) {
					if (d->output_focus)
						d->m.out_scroll = in.wheel_up ? d->m.out_scroll + 3
							: d->m.out_scroll > 3 ? d->m.out_scroll - 3 : 0;
					else
						ui_model_move(&d->m, in.wheel_up ? -1 : 1);
					d->dirty = true;
				} else if (in.key) {
					key(d, in.key);
				}
				if (d->quit)
					break;
			}
			if (!got && !isatty(fds[t_in].fd) && fds[t_in].fd >= 0) {
				hangup(d);
				continue;
			}
		}
		if (t_watch >= 0 && (fds[t_watch].revents & POLLIN))
			watched(d);
		if (now >= next_scan) {
			if (!d->e || !pd_engine_running(d->e))
				dash_stale(d, PD_NO_TRACK);
			next_scan = now + d->scan_every;
		}
		if (now >= next_tick) {
			d->frame++;
			next_tick = now + 1000;
			dash_dialog_tick(d);
			if (something_moves(d))
				d->dirty = true;
		}
		if (d->e)
			pd_engine_handle(d->e, fds, ne);
		if (merge_now || (t_merge >= 0 && fds[t_merge].revents))
			dash_merge_step(d);
		dash_notify_reap(d);
	}
	return d->status;
}

int ui_dash_run(const pd_pktdir *pd, const ui_dash_options *o)
{
	dash d;
	int status;
	long t0;

	memset(&d, 0, sizeof(d));
	d.pd = pd;
	d.o = *o;
	d.o.ascii = o->ascii || !ui_term_utf8(); /* no UTF-8 locale: no box drawing */
	d.pager_fd = -1;
	d.status = PD_EXIT_OK;
	d.dirty = true;
	d.scan_every = 2000;
	t0 = pd_now_ms();
	if (ui_model_init(&d.m, pd, o->watch, d.o.ascii) < 0 ||
	    pd_watch_open(&d.watch, pd->manifest->dir) < 0) {
		ui_model_free(&d.m);
		return PD_EXIT_USAGE;
	}
	rescan_cost(&d, pd_now_ms() - t0);
#ifdef __GLIBC__
	/* The load's peak (the manifest's JSON tree, packets parsed and
	 * dropped) is free now but scattered under what stays: hand those
	 * pages back, or a long-lived dashboard keeps them resident. */
	malloc_trim(0);
#endif
	if (ui_term_start(&d.term, o->in, o->out, true) < 0) {
		fprintf(stderr, "packetdeck: cannot start the dashboard on this terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		ui_model_free(&d.m);
		pd_watch_free(d.watch);
		return PD_EXIT_USAGE;
	}
	dash_notify_start(&d);
	if (!o->watch && (o->resume_given || !dash_resume_menu(&d)))
		dash_engine_start(&d, o->engine.resume, -1);
	if (o->watch || d.e || d.dlg.kind == UI_DLG_RESUME)
		loop(&d);
	if (d.pager) {
		kill(d.pager, SIGTERM);
		waitpid(d.pager, NULL, 0);
	}
	dash_notify_end(&d);
	ui_term_stop(d.term);
	status = d.status;
	if (o->closing) /* the run's lines, then the merge's */
		o->closing(o->ctx, d.e, d.merge && d.e ? pd_engine_exit_status(d.e) : status);
	dash_merge_closing(&d);
	dash_merge_free(&d);
	ui_dialog_close(&d.dlg);
	pd_engine_free(d.e);
	ui_canvas_free(&d.canvas);
	ui_model_free(&d.m);
	pd_watch_free(d.watch);
	return status;
}
