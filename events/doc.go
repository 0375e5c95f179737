// Package events embeds selfheal's event catalogue: the EventBridge patterns
// the suite deploys (patterns/<function>--<signal>.json) and the real-shaped
// sample events it handles (<source>/<detail-type-in-kebab>[--variant].json).
//
// The catalogue is the single source of truth for what the suite listens to:
// the CDK app deploys [Patterns], the local bus routes by them, and the tests,
// the CLI and the benchmarks replay [Samples]. Embedding the files means none
// of them depends on the working directory. README.md in this folder says
// where each sample's shape comes from.
//
// The package only serves bytes and the names derived from file paths. It
// does not decode events (shared/eventbridge does) nor match patterns.
package events
