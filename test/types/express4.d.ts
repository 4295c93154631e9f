// Express 4 is installed under the npm alias `express4` so suites can run against both majors.
declare module 'express4' {
  import express = require('express');
  export = express;
}
