// Test cgroups: removing one whose last task is still leaving (rmdir says EBUSY until the kernel has
// moved it out, asynchronously after its exit).
import { existsSync, rmdirSync } from 'node:fs';

/** rmdir `directory`, retrying EBUSY for up to about 2 s; a missing directory is already removed. */
export async function removeCgroup(directory: string): Promise<void> {
  for (let attempt = 0; existsSync(directory); attempt++) {
    try {
      rmdirSync(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY' || attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
