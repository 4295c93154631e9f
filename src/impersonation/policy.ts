import type { Operator } from '../http/operator';
import type { BackstageUser } from '../models/users-adapter';
import type { ResolvedOptions } from '../options';

/** Durations offered on the start page; the list stops at `impersonation.maxMinutes`. */
const DURATION_STEPS = [5, 10, 15, 30, 60, 120, 240, 480, 720, 1440];

export function durationChoices(maxMinutes: number): number[] {
  const choices = DURATION_STEPS.filter((minutes) => minutes <= maxMinutes);
  if (!choices.includes(maxMinutes)) choices.push(maxMinutes);
  return choices.sort((a, b) => a - b);
}

/** The preselected duration: short on purpose. */
export function defaultDuration(choices: number[]): number {
  return choices.includes(5) ? 5 : choices[0]!;
}

/** Why an impersonation cannot start: the status and a sentence for the operator. */
export interface Refusal {
  status: number;
  message: string;
}

export function isOperatorUser(options: ResolvedOptions, user: BackstageUser): boolean {
  return user.role !== null && options.roles.includes(user.role);
}

/**
 * Whether this operator may impersonate this user, as a refusal or null. The
 * same function hides the Impersonate button and guards the routes, so the two
 * never disagree. Yourself and banned users are refused whatever the policy
 * says; the rest is the host's `canImpersonate` (default: no operators).
 */
export async function impersonationRefusal(options: ResolvedOptions, operator: Operator, target: BackstageUser): Promise<Refusal | null> {
  const settings = options.impersonation;
  if (!settings) return { status: 404, message: 'Impersonation is not enabled in this console.' };
  if (operator.id === null) {
    return { status: 409, message: 'Your account has no id (options.idOf returned nothing), so the console could not sign you back in after an impersonation.' };
  }
  if (operator.id === target.id) return { status: 403, message: 'You cannot impersonate yourself.' };
  if (target.banned) {
    return { status: 403, message: `${target.email} is banned, and banned users cannot be impersonated. Lift the ban first if you really need to see the app as them.` };
  }
  if (settings.canImpersonate) {
    if ((await settings.canImpersonate(operator, target)) !== true) {
      return { status: 403, message: `This app's impersonation policy does not allow you to impersonate ${target.email}.` };
    }
  } else if (isOperatorUser(options, target)) {
    return { status: 403, message: `${target.email} is an operator (${target.role}), and operators cannot be impersonated.` };
  }
  return null;
}
