import { Moth, FileStore, MothError } from './src/index.js';

const moth = await Moth.open({ store: new FileStore('moth.log') });
const ann = moth.createUser('ann', 'correct horse', 'admin');
const { token } = moth.login('ann', 'correct horse');
console.log(moth.validate(token).user); // { id: 1, username: 'ann', permissions: 'admin' }
try {
  moth.login('ann', 'wrong');
} catch (e) {
  if (e instanceof MothError) console.log(e.code); // 'invalid-password'
}
