package config

import (
	"errors"
	"regexp"
	"strings"
)

var (
	componentAppIDPattern  = regexp.MustCompile(`^wx[0-9a-zA-Z]{16}$`)
	componentAESKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
	componentTokenPattern  = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
)

// HasComponent reports whether the WECHAT_COMPONENT_* settings are given (all four, Validate checks).
func (c *Config) HasComponent() bool {
	return c.ComponentAppID != "" || c.ComponentSecret != "" || c.ComponentToken != "" || c.ComponentAESKey != ""
}

// validateComponent checks the component settings: all four or none, each shaped as WeChat's Open
// Platform shows it.
func (c *Config) validateComponent() []error {
	c.ComponentAppID = strings.TrimSpace(c.ComponentAppID)
	c.ComponentSecret = strings.TrimSpace(c.ComponentSecret)
	c.ComponentToken = strings.TrimSpace(c.ComponentToken)
	c.ComponentAESKey = strings.TrimSpace(c.ComponentAESKey)
	var errs []error
	if c.SandboxTicketInterval <= 0 {
		errs = append(errs, errors.New("SANDBOX_TICKET_INTERVAL must be positive"))
	}
	if !c.HasComponent() {
		return errs
	}
	if c.ComponentAppID == "" || c.ComponentSecret == "" || c.ComponentToken == "" || c.ComponentAESKey == "" {
		return append(errs, errors.New("WECHAT_COMPONENT_APPID, _SECRET, _TOKEN and _AES_KEY must be given together (all four or none)"))
	}
	if !componentAppIDPattern.MatchString(c.ComponentAppID) {
		errs = append(errs, errors.New(`WECHAT_COMPONENT_APPID must be "wx" followed by 16 letters or digits`))
	}
	if !componentTokenPattern.MatchString(c.ComponentToken) {
		errs = append(errs, errors.New("WECHAT_COMPONENT_TOKEN must be 3-32 letters or digits"))
	}
	if !componentAESKeyPattern.MatchString(c.ComponentAESKey) {
		errs = append(errs, errors.New("WECHAT_COMPONENT_AES_KEY must be 43 letters or digits"))
	}
	if len(c.ComponentSecret) < 16 || len(c.ComponentSecret) > 64 {
		errs = append(errs, errors.New("WECHAT_COMPONENT_SECRET must be the component's AppSecret (16-64 characters)"))
	}
	return errs
}
