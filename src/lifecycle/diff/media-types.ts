/** Media types compared as clients send them: case and spaces around parameters do not matter. */
import type { MediaSchema } from '../../audit/operations.js'
import type { Path, SpecModel } from '../../audit/spec-model.js'

export function mediaTypeKey(mediaType: string): string {
  return mediaType.toLowerCase().replace(/\s*;\s*/g, ';').trim()
}

export function byMediaType(contents: readonly MediaSchema[]): Map<string, MediaSchema> {
  return new Map(contents.map((content) => [mediaTypeKey(content.mediaType), content]))
}

/** Where a media type is written: under `content` in OpenAPI 3; Swagger 2.0 lists them in `consumes`/`produces`, so the body or response itself. */
export function mediaPath(spec: SpecModel, ownerPath: Path, mediaType: string): Path {
  return spec.isOas3 ? [...ownerPath, 'content', mediaType] : ownerPath
}
