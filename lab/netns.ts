// Throwaway network namespaces for the lab and tests. Every namespace name carries a per-run prefix so that
// teardown removes exactly what this run made, and nothing here can route off the machine: the
// namespaces have no link to the host's network and no default route.
import { must, run } from './sh';

export class NetnsSet {
  readonly prefix: string;
  private readonly made: string[] = [];

  constructor(tag: string) {
    this.prefix = `rvt${tag}${process.pid % 10000}`;
  }

  name(short: string): string {
    return `${this.prefix}-${short}`;
  }

  add(short: string): string {
    const ns = this.name(short);
    must('ip', ['netns', 'add', ns]);
    this.made.push(ns);
    must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  exec(short: string, cmd: string, args: string[], input?: string) {
    return run('ip', ['netns', 'exec', this.name(short), cmd, ...args], { input });
  }

  /** Deletes every namespace this set made (their links go with them); returns what is left over. */
  teardown(): string[] {
    for (const ns of this.made.splice(0)) run('ip', ['netns', 'del', ns]);
    return must('ip', ['netns', 'list'])
      .split('\n')
      .filter((l) => l.startsWith(this.prefix));
  }
}
