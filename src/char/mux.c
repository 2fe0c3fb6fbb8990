/*
 * mux.c - one backend shared by several frontends (mux=on, -serial mon:).
 *
 * The mux is the frontend of its backend and hands out up to CHR_MUX_MAX
 * ports, each a chr_dev one device attaches to. Output from every port
 * goes to the backend as it comes (console and monitor lines interleave,
 * as on QEMU). Input goes to the port with the focus, through the escape
 * filter:
 *   Ctrl-A c        focus the next port (the old and the new port's
 *                   devices get CHR_FE_FOCUS_OUT / CHR_FE_FOCUS_IN)
 *   Ctrl-A x        CHR_EVENT_QUIT to the mux's owner
 *   Ctrl-A h or ?   this help, written to the backend
 *   Ctrl-A Ctrl-A   one Ctrl-A to the focused port
 * Other Ctrl-A sequences are swallowed.
 *
 * Flow control: each port holds up to MUX_INBUF bytes its device has not
 * taken; the mux asks the backend for no more than the focused port can
 * hold, so nothing is lost while a device is slow. A port with no device
 * attached takes input only to look for escapes (the rest is dropped and
 * counted), so Ctrl-A c still works when focus is on it. Bytes that follow
 * a Ctrl-A c in the same chunk go to the new port and are dropped if it has
 * no room.
 *
 * A new peer on the backend (CHR_FE_OPENED) is passed to every port.
 *
 * Threading: loop thread only. Ownership: the mux owns the backend and the
 * ports; chr_close on a port only detaches its device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "char/char-int.h"

#define MUX_INBUF 256
#define CTRL_A 0x01

struct chr_mux;

struct mux_port {
	struct chr_dev chr; /* first */
	struct chr_mux *mux;
	bool want_wr;
	uint8_t ibuf[MUX_INBUF];
	size_t ihead, ilen;
	struct chr_stats st;
};

struct chr_mux {
	struct chr_dev *be;
	struct mux_port *ports[CHR_MUX_MAX];
	unsigned nports, focus;
	bool saw_ctrl_a;
	void (*event)(void *, enum chr_event);
	void *event_opaque;
};

/* Hand a port's held bytes to its device while it takes them. */
static void port_flush(struct mux_port *p)
{
	struct chr_frontend *fe = &p->chr.fe;

	while (p->ilen && p->chr.attached) {
		size_t room = fe->can_receive(fe->opaque);
		size_t chunk = MUX_INBUF - p->ihead < p->ilen ? MUX_INBUF - p->ihead : p->ilen;

		if (!room)
			return;
		if (chunk > room)
			chunk = room;
		fe->receive(fe->opaque, p->ibuf + p->ihead, chunk);
		p->ihead = (p->ihead + chunk) % MUX_INBUF;
		p->ilen -= chunk;
		p->st.bytes_in += chunk;
	}
	if (!p->ilen)
		p->ihead = 0;
}

static void port_push(struct mux_port *p, uint8_t c)
{
	if (!p->chr.attached || p->ilen == MUX_INBUF) {
		p->st.bytes_dropped++;
		return;
	}
	p->ibuf[(p->ihead + p->ilen) % MUX_INBUF] = c;
	p->ilen++;
}

/* ---- the mux as its backend's frontend ------------------------------------ */

static size_t mux_can_receive(void *opaque)
{
	struct chr_mux *m = opaque;
	struct mux_port *p;

	if (!m->nports)
		return 0;
	p = m->ports[m->focus];
	if (!p->chr.attached)
		return 1; /* only escapes matter: keep Ctrl-A c reachable */
	port_flush(p);
	return MUX_INBUF - p->ilen;
}

static void mux_help(struct chr_mux *m)
{
	static const char help[] =
		"\r\nringvm serial escapes (press Ctrl-A, then):\r\n"
		"  c        switch between the console and the monitor\r\n"
		"  x        quit ringvm\r\n"
		"  h or ?   show this text\r\n"
		"  Ctrl-A   send one Ctrl-A to the guest\r\n";

	chr_write(m->be, (const uint8_t *)help, sizeof(help) - 1);
}

static void mux_escape(struct chr_mux *m, uint8_t c)
{
	switch (c) {
	case 'c':
	case 'C':
		chr_fe_event(&m->ports[m->focus]->chr, CHR_FE_FOCUS_OUT);
		m->focus = (m->focus + 1) % m->nports;
		chr_fe_event(&m->ports[m->focus]->chr, CHR_FE_FOCUS_IN);
		break;
	case 'x':
	case 'X':
		if (m->event)
			m->event(m->event_opaque, CHR_EVENT_QUIT);
		break;
	case 'h':
	case 'H':
	case '?':
		mux_help(m);
		break;
	case CTRL_A:
		port_push(m->ports[m->focus], CTRL_A);
		break;
	default:
		break; /* unknown escape: swallowed, like an unbound key */
	}
}

static void mux_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct chr_mux *m = opaque;

	for (size_t i = 0; i < len; i++) {
		if (m->saw_ctrl_a) {
			m->saw_ctrl_a = false;
			mux_escape(m, buf[i]);
		} else if (buf[i] == CTRL_A) {
			m->saw_ctrl_a = true;
		} else {
			port_push(m->ports[m->focus], buf[i]);
		}
	}
	/* A Ctrl-A c in the chunk may have left bytes with another port. */
	for (unsigned i = 0; i < m->nports; i++)
		port_flush(m->ports[i]);
}

static void mux_write_ready(void *opaque)
{
	struct chr_mux *m = opaque;

	for (unsigned i = 0; i < m->nports; i++) {
		struct mux_port *p = m->ports[i];

		if (p->want_wr && p->chr.attached) {
			p->want_wr = false;
			if (p->chr.fe.write_ready)
				p->chr.fe.write_ready(p->chr.fe.opaque);
		}
	}
}

/* A new peer on the backend: every port's device hears of it. */
static void mux_fe_event(void *opaque, enum chr_fe_event ev)
{
	struct chr_mux *m = opaque;

	for (unsigned i = 0; i < m->nports; i++)
		chr_fe_event(&m->ports[i]->chr, ev);
}

static void mux_be_event(void *opaque, enum chr_event ev)
{
	struct chr_mux *m = opaque;

	if (m->event)
		m->event(m->event_opaque, ev);
}

/* ---- the ports as backends ------------------------------------------------- */

static size_t port_write(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	struct mux_port *p = (struct mux_port *)chr;
	size_t n = chr_write(p->mux->be, buf, len);

	p->st.bytes_out += n;
	if (n < len)
		p->want_wr = true;
	return n;
}

static void port_accept_input(struct chr_dev *chr)
{
	struct mux_port *p = (struct mux_port *)chr;
	struct chr_mux *m = p->mux;

	port_flush(p);
	if (m->ports[m->focus] == p && p->ilen < MUX_INBUF)
		chr_accept_input(m->be);
}

static void port_write_sync(struct chr_dev *chr, const uint8_t *buf, size_t len)
{
	struct mux_port *p = (struct mux_port *)chr;

	chr_write_sync(p->mux->be, buf, len);
	p->st.bytes_out += len;
}

static void port_close(struct chr_dev *chr)
{
	chr->attached = false; /* the mux frees ports in chr_mux_close */
}

static const struct chr_backend_ops port_ops = {
	.name = "mux",
	.write = port_write,
	.accept_input = port_accept_input,
	.write_sync = port_write_sync,
	.close = port_close,
};

bool chr_has_focus(struct chr_dev *chr)
{
	struct mux_port *p = (struct mux_port *)chr;

	if (!chr || chr->ops != &port_ops)
		return true;
	return p->mux->ports[p->mux->focus] == p;
}

int chr_mux_port_stats(struct chr_dev *chr, struct chr_stats *out)
{
	struct mux_port *p = (struct mux_port *)chr;
	struct chr_stats be;

	if (!chr || chr->ops != &port_ops)
		return -EINVAL;
	*out = p->st;
	/* Connection state is the backend's. */
	if (chr_get_stats(p->mux->be, &be) == 0) {
		out->connected = be.connected;
		out->connects = be.connects;
	} else {
		out->connected = true;
	}
	return 0;
}

int chr_mux_open(struct chr_mux **out, struct chr_dev *backend)
{
	struct chr_mux *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->be = backend;
	backend->event = mux_be_event;
	backend->event_opaque = m;
	*out = m;
	return 0;
}

int chr_mux_add_port(struct chr_mux *m, struct chr_dev **out)
{
	struct mux_port *p;

	if (m->nports == CHR_MUX_MAX)
		return -ENOSPC;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->chr.ops = &port_ops;
	p->chr.loop = m->be->loop;
	p->mux = m;
	p->st.connected = true;
	m->ports[m->nports++] = p;
	if (m->nports == 1) {
		struct chr_frontend fe = {
			.can_receive = mux_can_receive,
			.receive = mux_receive,
			.write_ready = mux_write_ready,
			.event = mux_fe_event,
			.opaque = m,
		};

		chr_attach(m->be, &fe);
	}
	*out = &p->chr;
	return 0;
}

void chr_mux_set_event(struct chr_mux *m, void (*event)(void *, enum chr_event),
		       void *opaque)
{
	m->event = event;
	m->event_opaque = opaque;
}

unsigned chr_mux_focus(const struct chr_mux *m)
{
	return m->focus;
}

void chr_mux_close(struct chr_mux *m)
{
	if (!m)
		return;
	chr_close(m->be);
	for (unsigned i = 0; i < m->nports; i++)
		free(m->ports[i]);
	free(m);
}
