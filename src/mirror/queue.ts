/**
 * ComparisonQueue runs finished comparisons without holding up client traffic: each turn of the
 * event loop drains jobs for at most `budgetMs`, then yields so sockets are served before the
 * next batch. A burst of mirrored answers therefore costs clients a few ms at most, instead of
 * every comparison of the burst back to back (bench/mirror.ts measured +360 % client p99 that
 * way). The queue is bounded; what does not fit is dropped and reported by `onDrop`.
 */
export class ComparisonQueue {
  private readonly jobs: (() => void)[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly max: number,
    private readonly onDrop: (label: string) => void,
    private readonly budgetMs = 2,
  ) {}

  get size(): number {
    return this.jobs.length - this.head;
  }

  /** push queues a job; `label` names it when it has to be dropped. */
  push(job: () => void, label: string): void {
    if (this.size >= this.max) {
      this.onDrop(label);
      return;
    }
    this.jobs.push(job);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    const end = performance.now() + this.budgetMs;
    while (this.head < this.jobs.length) {
      const job = this.jobs[this.head] as () => void;
      this.jobs[this.head++] = noop;
      job();
      if (performance.now() >= end) break;
    }
    if (this.head >= this.jobs.length) {
      this.jobs.length = 0;
      this.head = 0;
      this.scheduled = false;
    } else {
      if (this.head > 1024) {
        this.jobs.splice(0, this.head);
        this.head = 0;
      }
      setImmediate(this.drain);
    }
  };
}

function noop(): void {
  /* a drained slot */
}
