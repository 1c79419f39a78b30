package main

import "os"

// faasport event prints the native sample a platform sends; the same
// builders feed testing/fntest.
func Example_event() {
	run([]string{"event", "cloud-scheduler", "-name", "nightly"}, os.Stdout, os.Stderr)
	// Output:
	// {
	//   "specversion": "1.0",
	//   "id": "fntest-1",
	//   "source": "//cloudscheduler.googleapis.com/projects/fntest/locations/us-central1/jobs/nightly",
	//   "type": "google.cloud.scheduler.job.v1.executed",
	//   "datacontenttype": "application/json",
	//   "time": "2026-01-02T03:04:05Z",
	//   "data": {}
	// }
}
