// Terminal tests read what a person would see from a real terminal: a private tmux server per test.
import { spawnSync } from 'node:child_process';

/**
 * tmux against the server at `socket` (our own: no other server is touched); throws with tmux's message.
 * The pane's command runs under /bin/sh: tmux would take $SHELL or else the account's login shell, which for
 * nobody is nologin, and the session, and with it the server, would end at once.
 */
export function tmuxAt(socket: string, env: NodeJS.ProcessEnv): (...args: string[]) => string {
  return (...args) => {
    const result = spawnSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: { ...env, SHELL: '/bin/sh', TERM: 'xterm-256color' } });
    if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
}
