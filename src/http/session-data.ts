import 'express-session';

declare module 'express-session' {
  interface SessionData {
    backstageCsrf?: string;
    backstageFlash?: { kind: 'success' | 'error'; message: string };
    /** The team the operator pivoted the console into ("support mode for Acme"), until they exit. */
    backstageTeamScope?: { id: string; name: string };
    /** The operator acting as a user, while an impersonation lasts (see src/impersonation/). */
    backstageImpersonation?: import('../impersonation/impersonation-record').ImpersonationRecord;
  }
}

export {};
