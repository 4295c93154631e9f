import type { Request, RequestHandler } from 'express';
import type { ConsoleContext } from '../console-context';
import type { Renderer } from '../http/render';
import type { ResolvedOptions } from '../options';

/** What the guard, the console gate and the routes of one console share. */
export interface ImpersonationRuntime {
  options: ResolvedOptions;
  /** The console's start-up schema check; the context exists once it resolves. */
  ready: Promise<void>;
  context: () => ConsoleContext;
  renderer: Renderer;
  csrfTokenFor: (req: Request) => string;
  /** The console's session middleware: the host's session when it has one, else the console's own. */
  consoleSession: RequestHandler;
  /**
   * Requests that went through this console's guard. Per request and per
   * console, so "the guard is mounted" means it ran in front of this very
   * request, not that some guard once ran somewhere.
   */
  guarded: WeakSet<Request>;
  /** The banner rendered for a request, for `admin.bannerHtml(req)`. */
  banners: WeakMap<Request, string>;
  log: (message: string, err?: unknown) => void;
}
