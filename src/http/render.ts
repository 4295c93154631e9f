import fs from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import type { Request, Response } from 'express';
import { PACKAGE_ROOT } from '../package-root';
import { CSRF_FIELD, CSRF_HEADER } from './csrf';
import type { Operator } from './operator';
import * as helpers from './view-helpers';
import { queryString, type QueryValues } from './view-helpers';

export interface PageOptions {
  title: string;
  /** Which navigation entry is current. */
  section: string;
  status?: number;
  /** Rendered alone, without the layout, for htmx requests that target part of the page. */
  fragment?: string;
}

export interface RendererConfig {
  /** Host folders searched before the package's own views. */
  hostViews: string[];
  appName: string;
  now: () => Date;
  csrfTokenFor: (req: Request) => string;
  /** Extra locals for the layout (impersonation banner, team scope, …), computed per request. */
  layoutLocals?: (req: Request, res: Response) => Record<string, unknown>;
}

export interface Renderer {
  page(req: Request, res: Response, view: string, locals: Record<string, unknown>, page: PageOptions): Promise<void>;
  /** Renders one template to a string (used by the error page and by fragments). */
  toString(view: string, locals: Record<string, unknown>): Promise<string>;
}

export const OWN_VIEWS = path.join(PACKAGE_ROOT, 'views');

function isHtmxPartial(req: Request): boolean {
  return req.get('hx-request') === 'true' && req.get('hx-request-type') !== 'full';
}

/**
 * Renders the console's EJS views without touching the host's view engine:
 * `ejs.renderFile` on files found in `[hostOverrides…, ownViews]`, the page
 * first, then the layout around it.
 */
export function createRenderer(config: RendererConfig): Renderer {
  const roots = [...config.hostViews.map((dir) => path.resolve(dir)), OWN_VIEWS];
  const found = new Map<string, string>();

  function resolve(view: string): string {
    const cached = found.get(view);
    if (cached) return cached;
    for (const root of roots) {
      const file = path.join(root, `${view}.ejs`);
      if (fs.existsSync(file)) {
        found.set(view, file);
        return file;
      }
    }
    throw new Error(`express-backstage: view "${view}" not found in ${roots.join(', ')}`);
  }

  function toString(view: string, locals: Record<string, unknown>): Promise<string> {
    return ejs.renderFile(resolve(view), { ...locals, h: helpers }, { views: roots, cache: true, async: false });
  }

  return {
    toString,
    async page(req, res, view, locals, page) {
      const operator = res.locals.backstageOperator as Operator | undefined;
      const csrfToken = req.session ? config.csrfTokenFor(req) : '';
      const base = req.baseUrl;
      const bs = {
        base,
        url: (to: string, query?: QueryValues) => `${base}${to}${query ? queryString(query) : ''}`,
        operator,
        csrfToken,
        csrfField: CSRF_FIELD,
        csrfHeader: CSRF_HEADER,
        appName: config.appName,
        now: config.now(),
        title: page.title,
        section: page.section,
        flash: takeFlash(req),
        ...(config.layoutLocals ? config.layoutLocals(req, res) : {}),
      };
      const all = { ...locals, bs };
      res.vary('HX-Request');
      res.status(page.status ?? 200);
      res.set('Cache-Control', 'no-store');
      if (page.fragment && isHtmxPartial(req)) {
        res.type('html').send(await toString(page.fragment, all));
        return;
      }
      const body = await toString(view, all);
      res.type('html').send(await toString('layout', { ...all, body }));
    },
  };
}

function takeFlash(req: Request): { kind: string; message: string } | null {
  const flash = req.session?.backstageFlash ?? null;
  if (flash && req.session) delete req.session.backstageFlash;
  return flash;
}

/** A message for the next page the operator sees (post/redirect/get). */
export function setFlash(req: Request, kind: 'success' | 'error', message: string): void {
  if (req.session) req.session.backstageFlash = { kind, message };
}
