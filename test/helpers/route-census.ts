/**
 * Every route of a mounted console, read from the router's own stack (Express 4
 * and 5 alike), so a route added without an authorisation entry is noticed.
 */
export interface RouteEntry {
  method: string;
  path: string;
}

export function listRoutes(router: any): RouteEntry[] {
  const routes: RouteEntry[] = [];
  for (const layer of router.stack ?? []) {
    if (layer.route) {
      const methods = Object.keys(layer.route.methods ?? {}).filter((m) => m !== '_all');
      for (const method of methods) routes.push({ method: method.toUpperCase(), path: layer.route.path });
    } else if (layer.handle && Array.isArray(layer.handle.stack)) {
      routes.push(...listRoutes(layer.handle));
    }
  }
  return routes;
}
