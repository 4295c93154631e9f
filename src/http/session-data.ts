import 'express-session';

declare module 'express-session' {
  interface SessionData {
    backstageCsrf?: string;
    backstageFlash?: { kind: 'success' | 'error'; message: string };
  }
}

export {};
