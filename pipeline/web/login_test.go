package web

import (
	"testing"

	"golang.org/x/crypto/bcrypt"

	"kaohe/pipeline"
)

// TestDummyHash: the hash an unknown user's password is compared with is
// made when first needed, once, at the cost of the configured users'
// hashes (PasswordCost without users), so that an unknown name takes as
// long as a wrong password.
func TestDummyHash(t *testing.T) {
	hash := func(cost int) string {
		b, err := bcrypt.GenerateFromPassword([]byte("a long password"), cost)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct {
		name  string
		users []pipeline.WebUser
		want  int
	}{
		{"none", nil, PasswordCost},
		{"one", []pipeline.WebUser{{Name: "a", PasswordHash: hash(bcrypt.MinCost)}}, bcrypt.MinCost},
		{"highest", []pipeline.WebUser{{Name: "a", PasswordHash: hash(bcrypt.MinCost)}, {Name: "b", PasswordHash: hash(bcrypt.MinCost + 2)}}, bcrypt.MinCost + 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := dummyCost(c.users); got != c.want {
				t.Fatalf("dummyCost = %d, want %d", got, c.want)
			}
			if c.want == PasswordCost {
				return // making it takes a quarter of a second
			}
			dummy := newDummyHash(c.users)
			h := dummy()
			if got, err := bcrypt.Cost(h); err != nil || got != c.want {
				t.Errorf("the dummy hash's cost is %d (%v), want %d", got, err, c.want)
			}
			if h2 := dummy(); &h2[0] != &h[0] {
				t.Error("the dummy hash is made again on the second call")
			}
		})
	}
	// The portal of the tests compares an unknown user with its user's cost.
	f := newFixture(t, nil)
	if got, _ := bcrypt.Cost(f.srv.dummyHash()); got != bcrypt.MinCost {
		t.Errorf("the portal's dummy hash has cost %d, want %d (its user's)", got, bcrypt.MinCost)
	}
}
