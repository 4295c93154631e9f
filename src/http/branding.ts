import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';

/** The host's identity in the console: its product name, logo, a link home and an accent colour. */
export interface Branding {
  appName: string;
  /** A path on the host (`/logo.svg`) or an http(s) URL. */
  logoUrl: string | null;
  /** Where "Back to <appName>" leads. */
  homeUrl: string | null;
  /** `#rrggbb` or `#rgb`. */
  accentColor: string | null;
}

export const HEX_COLOUR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** A same-site path (`/x`, never `//host`) or an absolute http(s) URL: nothing that runs script. */
export function isSafeLink(value: string): boolean {
  if (value.startsWith('/')) return !value.startsWith('//') && !value.startsWith('/\\');
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function rgb(hex: string): [number, number, number] {
  const full = hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join('')}` : hex;
  return [1, 3, 5].map((i) => parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}

function toHex([r, g, b]: number[]): string {
  return `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

/** Black or white text on the accent, whichever reads (WCAG relative luminance). */
function inkOn(colour: [number, number, number]): string {
  const [r, g, b] = colour.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? '#1b1f24' : '#ffffff';
}

/**
 * The console's theme as a stylesheet of custom properties, generated from the
 * options: served as a file so the CSP keeps `style-src 'self'` (no inline style).
 */
export function themeStylesheet(branding: Branding): string {
  const lines = ['/* express-backstage theme: generated from createAdmin({ accentColor }) */', ':root {'];
  if (branding.accentColor) {
    const colour = rgb(branding.accentColor.toLowerCase());
    lines.push(`  --accent: ${toHex(colour)};`);
    lines.push(`  --accent-ink: ${inkOn(colour)};`);
    lines.push(`  --accent-soft: ${toHex(colour.map((v) => v + (255 - v) * 0.9))};`);
  }
  lines.push('}');
  if (branding.accentColor) lines.push('.brand-mark { background: var(--accent); color: var(--accent-ink); }');
  lines.push('');
  return lines.join('\n');
}

/** `<mount>/assets/theme.css`: the stylesheet above, cached for long under a versioned URL. */
export function themeRoute(branding: Branding): { handler: RequestHandler; version: string } {
  const css = themeStylesheet(branding);
  const version = createHash('sha256').update(css).digest('hex').slice(0, 10);
  // Mounted with router.use like the static assets (not a console route: no data, no gate).
  const handler: RequestHandler = (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path !== '/') {
      next();
      return;
    }
    res.type('text/css').set('Cache-Control', 'public, max-age=31536000, immutable').send(css);
  };
  return { handler, version };
}

/** The image origin the CSP must allow for a logo on another site (none for a same-site path). */
export function logoOrigins(logoUrl: string | null): string[] {
  if (!logoUrl || logoUrl.startsWith('/')) return [];
  return [new URL(logoUrl).origin];
}
