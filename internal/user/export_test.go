package user

import "golang.org/x/crypto/bcrypt"

// SetPasswordCost lowers bcrypt's cost for tests: cost 12 takes seconds under the race detector. The dummy
// hash follows, so unknown names still cost what known ones do.
func SetPasswordCost(s *Service, cost int) {
	s.cost = cost
	h, err := bcrypt.GenerateFromPassword(prehash("not anybody's password"), cost)
	if err != nil {
		panic(err)
	}
	s.dummy = string(h)
}
