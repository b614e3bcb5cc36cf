// Which connections --serve holds. At most `maxConnections` are read and answered; a new one takes the place
// of the oldest held connection that has had nothing to answer for `graceMs` (a slow or half-sent request,
// an idle keep-alive), else waits unread in a bounded queue, else takes the place of any idle one, else is
// closed. A burst of real scrapes during one scan therefore waits its turn, and slow connections, however
// many, cannot keep a real scrape out.
import type { Socket } from 'node:net';

export interface PoolLimits {
  maxConnections: number;
  /** Connections waiting unread; each holds a file descriptor. */
  maxWaiting: number;
  /** A held connection with nothing to answer for this long may be evicted for a newcomer. */
  graceMs: number;
}

interface Held {
  /** Requests received and not yet answered. */
  pending: number;
  /** performance.now() when it was opened or its last answer was sent. */
  idleSince: number;
}

export class ConnectionPool {
  readonly #held = new Map<Socket, Held>();
  readonly #waiting: Socket[] = [];
  readonly #timer: NodeJS.Timeout;
  #closedByLimits = 0;

  constructor(private readonly limits: PoolLimits) {
    // Waiting connections are let in as held ones pass their grace, not only when another arrives.
    this.#timer = setInterval(() => this.#admitWaiting(), Math.max(50, limits.graceMs / 4)).unref();
  }

  /** Connections closed for exceeding a limit (refused, evicted, or cut by {@link cut}). */
  get closedByLimits(): number {
    return this.#closedByLimits;
  }

  /** A new connection, accepted paused (the server's pauseOnConnect): held and resumed, left waiting, or closed. */
  admit(socket: Socket): void {
    if (this.#held.size < this.limits.maxConnections || this.#evict(this.limits.graceMs)) {
      this.#hold(socket);
    } else if (this.#waiting.length < this.limits.maxWaiting) {
      this.#waiting.push(socket); // accepted paused: nothing is read, or parsed, until it is held
      socket.once('close', () => {
        const index = this.#waiting.indexOf(socket);
        if (index >= 0) this.#waiting.splice(index, 1);
      });
    } else if (this.#evict(0)) {
      this.#hold(socket);
    } else {
      this.cut(socket);
    }
  }

  /** A request arrived on `socket`; false when the socket is not held (evicted meanwhile) or has too many. */
  requestStarted(socket: Socket, maxPending: number): boolean {
    const held = this.#held.get(socket);
    if (held === undefined) return false;
    held.pending++;
    return held.pending <= maxPending;
  }

  requestEnded(socket: Socket): void {
    const held = this.#held.get(socket);
    if (held === undefined) return;
    held.pending--;
    if (held.pending === 0) held.idleSince = performance.now();
  }

  /** Closes `socket` for exceeding a limit. */
  cut(socket: Socket): void {
    if (socket.destroyed) return;
    this.#closedByLimits++;
    socket.destroy();
  }

  /** Shutdown: waiting and idle connections now; returns the held ones still being answered. */
  closeIdle(): Socket[] {
    clearInterval(this.#timer);
    for (const socket of this.#waiting.splice(0)) socket.destroy();
    const busy: Socket[] = [];
    for (const [socket, held] of this.#held) {
      if (held.pending === 0) socket.destroy();
      else busy.push(socket);
    }
    return busy;
  }

  #hold(socket: Socket): void {
    this.#held.set(socket, { pending: 0, idleSince: performance.now() });
    socket.resume(); // starts reading into the HTTP parser
    socket.once('close', () => {
      this.#held.delete(socket);
      this.#admitWaiting();
    });
  }

  /** Evicts the oldest held connection idle for at least `minIdleMs` (Map order is opening order). */
  #evict(minIdleMs: number): boolean {
    const now = performance.now();
    for (const [socket, held] of this.#held) {
      if (held.pending > 0 || now - held.idleSince < minIdleMs) continue;
      this.#held.delete(socket);
      this.cut(socket);
      return true;
    }
    return false;
  }

  #admitWaiting(): void {
    while (this.#waiting.length > 0 && (this.#held.size < this.limits.maxConnections || this.#evict(this.limits.graceMs))) {
      const next = this.#waiting.shift();
      if (next === undefined || next.destroyed) continue;
      this.#hold(next);
    }
  }
}
