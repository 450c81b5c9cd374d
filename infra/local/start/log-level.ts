/**
 * Imported first by `npm start`: the functions' log level before any of their modules load. The
 * Powertools logger takes LOG_LEVEL when it is built (at import) and returns to that level at each
 * warm invocation, as on Lambda, where the variable is set before the code loads; without this, the
 * local functions would go back to INFO after their first invocation. `LOG_LEVEL=INFO npm start`
 * still shows their logs.
 */
process.env.LOG_LEVEL ??= 'WARN';
