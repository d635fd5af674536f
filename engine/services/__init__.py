"""Use cases. Each public function is one transaction; callers pass the actor and get plain views back."""
