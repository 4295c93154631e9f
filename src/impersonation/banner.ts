import { CSRF_FIELD } from '../http/csrf';
import type { ImpersonationMode, ImpersonationRecord } from './impersonation-record';

export const STOP_PATH = '/impersonation/stop';
export const BANNER_STYLESHEET = '/assets/css/impersonation-banner.css';

/**
 * Everything a banner shows, as plain data. The guard puts it on
 * `res.locals.backstageImpersonation` for hosts that render the banner in their
 * own templates; `admin.bannerHtml(req)` gives the package's rendering.
 */
export interface ImpersonationBanner {
  operator: { id: string; email: string | null };
  target: { id: string; email: string; name: string | null };
  mode: ImpersonationMode;
  startedAt: Date;
  expiresAt: Date;
  secondsLeft: number;
  /** "4 minutes left", "less than a minute left". */
  timeLeft: string;
  /** Where the Stop form posts (`<console mount>/impersonation/stop`). */
  stopUrl: string;
  stylesheetUrl: string;
  /** The hidden field the Stop form must carry, with the console's CSRF token. */
  csrfField: string;
  csrfToken: string;
}

export function timeLeftText(seconds: number): string {
  if (seconds < 60) return 'less than a minute left';
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'} left`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** "45 seconds", "3 minutes", "1 hour 5 minutes": for flash messages about how long it lasted. */
export function durationText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return `${hours} hour${hours === 1 ? '' : 's'}${rest ? ` ${rest} minute${rest === 1 ? '' : 's'}` : ''}`;
}

export function bannerFor(record: ImpersonationRecord, now: number, csrfToken: string): ImpersonationBanner {
  const secondsLeft = Math.max(0, Math.ceil((record.expiresAt - now) / 1000));
  return {
    operator: { id: record.operator.id, email: record.operator.email },
    target: { ...record.target },
    mode: record.mode,
    startedAt: new Date(record.startedAt),
    expiresAt: new Date(record.expiresAt),
    secondsLeft,
    timeLeft: timeLeftText(secondsLeft),
    stopUrl: `${record.consoleBase}${STOP_PATH}`,
    stylesheetUrl: `${record.consoleBase}${BANNER_STYLESHEET}`,
    csrfField: CSRF_FIELD,
    csrfToken,
  };
}
