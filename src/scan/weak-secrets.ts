/**
 * Secrets seen signing real HS256 tokens: defaults of frameworks and tutorials, placeholders
 * left in configs, and common passwords. Tried offline against a token the user supplied, so the
 * target sees no requests.
 */
export const WEAK_JWT_SECRETS: readonly string[] = [
  'secret', 'Secret', 'SECRET', 'secretkey', 'secret-key', 'secret_key', 'secretKey', 'mysecret', 'my-secret', 'my_secret', 'mySecret', 'topsecret',
  'your-256-bit-secret', 'your-secret-key', 'your_jwt_secret', 'jwt-secret', 'jwt_secret', 'jwtSecret', 'jwtsecret', 'JWT_SECRET', 'jwt', 'token', 'tokensecret',
  'changeme', 'change-me', 'changeit', 'default', 'password', 'Password', 'password1', 'password123', 'passw0rd', 'P@ssw0rd', 'admin', 'admin123', 'administrator',
  'root', 'toor', 'test', 'test123', 'testing', 'dev', 'development', 'prod', 'production', 'staging', 'local', 'key', 'private', 'privatekey', 'private-key',
  'shhhhh', 'shhhhhared-secret', 'keyboard cat', 'supersecret', 'super-secret', 'super_secret', 'supersecretkey', 'verysecret', 'qwerty', 'qwerty123', '123456',
  '12345678', '123456789', '1234567890', 'abc123', 'letmein', 'welcome', 'hello', 'helloworld', 'iloveyou', 'monkey', 'dragon', 'master', 'login', 'access',
  'api', 'apikey', 'api-key', 'api_secret', 'app', 'appsecret', 'app-secret', 'app_secret', 'application', 'auth', 'authsecret', 'auth-secret', 'session',
  'sessionsecret', 'session-secret', 'cookie', 'signing-key', 'signingkey', 'hmac', 'hmac-secret', 'hs256', 'HS256', 'example', 'sample', 'demo', 'node', 'express',
  'spring', 'django-insecure', 'laravel', 'rails', 'flask', 'fastapi', 'nestjs', 'strapi', 'keycloak', 'gitlab', 'github', 'firebase', 'supabase', 'null', 'undefined',
]
