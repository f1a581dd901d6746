package articles

import (
	"encoding/json"
	"errors"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func asType[T error](err error, target *T) bool { return errors.As(err, target) }
