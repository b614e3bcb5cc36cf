# A parent that never waits: it forks children that exit at once until fork fails (or ZOMBIES are made), so the
# zombies keep their pids; then it obeys one command a line on stdin: 'fork' (one real fork, reported and reaped),
# 'reap' (waits for every child), 'exit'.
use strict;
use warnings;
use POSIX ();
$| = 1;
my $limit = $ENV{ZOMBIES} // 0;
my $made = 0;
my $errno = '';
while ($limit == 0 || $made < $limit) {
  my $pid = fork;
  if (!defined $pid) { $errno = $!{EAGAIN} ? 'EAGAIN' : "$!"; last }
  POSIX::_exit(0) if $pid == 0;
  $made++;
}
print "made $made $errno\n";
while (my $line = <STDIN>) {
  chomp $line;
  if ($line eq 'fork') {
    my $pid = fork;
    if (!defined $pid) { print 'fork ', ($!{EAGAIN} ? 'EAGAIN' : "$!"), "\n" }
    elsif ($pid == 0) { POSIX::_exit(0) }
    else { waitpid($pid, 0); print "fork ok\n" }
  } elsif ($line eq 'reap') {
    my $reaped = 0;
    while (waitpid(-1, 0) > 0) { $reaped++ }
    print "reaped $reaped\n";
  } elsif ($line eq 'exit') {
    last;
  }
}
