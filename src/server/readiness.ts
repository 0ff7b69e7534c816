// Whether the server should receive traffic: ready once every startup condition is met
// (configuration loaded, certificate loaded, namespace cache synced, webhook port
// listening), and never again once shutdown has begun.

export type ReadinessCondition = 'config' | 'certificate' | 'namespaces' | 'listening';

export const STARTUP_CONDITIONS: readonly ReadinessCondition[] = ['config', 'certificate', 'namespaces', 'listening'];

export class Readiness {
  private readonly waiting: Set<ReadinessCondition>;
  private shuttingDown = false;

  constructor(conditions: readonly ReadinessCondition[] = STARTUP_CONDITIONS) {
    this.waiting = new Set(conditions);
  }

  /** Records that a startup condition is met. Conditions never become unmet again. */
  satisfy(condition: ReadinessCondition): void {
    this.waiting.delete(condition);
  }

  /** From now on /readyz fails and responses ask clients to close their connections. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  get isReady(): boolean {
    return !this.shuttingDown && this.waiting.size === 0;
  }

  /** What readiness still waits for, for the /readyz body. */
  pending(): string[] {
    return this.shuttingDown ? ['shutting-down', ...this.waiting] : [...this.waiting];
  }
}
