package db

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// StringArray is a Postgres text[] column on pgx through database/sql (pgx encodes the slice; Scan
// reads the text form database/sql hands over). NULL scans as an empty array.
type StringArray []string

// Value answers the slice, which pgx sends as an array.
func (a StringArray) Value() (driver.Value, error) {
	if a == nil {
		return []string{}, nil
	}
	return []string(a), nil
}

// GormDataType tells GORM the column type.
func (StringArray) GormDataType() string { return "text[]" }

// Scan reads a one-dimensional array in Postgres' text form.
func (a *StringArray) Scan(src any) error {
	elems, err := parseArray(src)
	if err != nil {
		return err
	}
	out := make(StringArray, 0, len(elems))
	for _, e := range elems {
		if e == nil {
			return errors.New("db: NULL element in a text[] column")
		}
		out = append(out, *e)
	}
	*a = out
	return nil
}

// Int64Array is a Postgres int[] or bigint[] column; see StringArray.
type Int64Array []int64

// Value answers the slice, which pgx sends as an array.
func (a Int64Array) Value() (driver.Value, error) {
	if a == nil {
		return []int64{}, nil
	}
	return []int64(a), nil
}

// GormDataType tells GORM the column type.
func (Int64Array) GormDataType() string { return "bigint[]" }

// Scan reads a one-dimensional array in Postgres' text form.
func (a *Int64Array) Scan(src any) error {
	elems, err := parseArray(src)
	if err != nil {
		return err
	}
	out := make(Int64Array, 0, len(elems))
	for _, e := range elems {
		if e == nil {
			return errors.New("db: NULL element in an int[] column")
		}
		n, err := strconv.ParseInt(*e, 10, 64)
		if err != nil {
			return fmt.Errorf("db: int[] element %q: %w", *e, err)
		}
		out = append(out, n)
	}
	*a = out
	return nil
}

// parseArray splits a one-dimensional array literal ({a,"b c",NULL}) into its elements, nil for NULL.
func parseArray(src any) ([]*string, error) {
	var s string
	switch v := src.(type) {
	case nil:
		return nil, nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return nil, fmt.Errorf("db: cannot scan %T into an array", src)
	}
	if i := strings.IndexByte(s, '='); i >= 0 && strings.HasPrefix(s, "[") {
		s = s[i+1:] // explicit bounds: [0:2]={…}
	}
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("db: not an array literal: %.40q", s)
	}
	body := s[1 : len(s)-1]
	var out []*string
	if body == "" {
		return out, nil
	}
	for i := 0; ; {
		var b strings.Builder
		quoted := false
		if i < len(body) && body[i] == '"' {
			quoted = true
			i++
			for ; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
			}
			if i >= len(body) {
				return nil, errors.New("db: unterminated quoted array element")
			}
			i++ // closing quote
		} else {
			for ; i < len(body) && body[i] != ','; i++ {
				if body[i] == '{' {
					return nil, errors.New("db: only one-dimensional arrays are supported")
				}
				b.WriteByte(body[i])
			}
		}
		e := b.String()
		if !quoted && strings.EqualFold(e, "NULL") {
			out = append(out, nil)
		} else {
			out = append(out, &e)
		}
		if i >= len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, fmt.Errorf("db: unexpected %q in array literal", body[i])
		}
		i++
	}
}
